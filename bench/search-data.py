#!/usr/bin/env python3
"""Writes a deterministic, fictional registry for the search benchmark, and the queries.

Usage: search-data.py PERSONS EVENTS SEED OUT_DIR

OUT_DIR/prisoners.csv  the `razam import prisoners` header, refs SP-0000001…; names in
                       Belarusian or Russian Cyrillic: common given names and patronymics,
                       family names made of invented roots and the usual endings (-енка/-енко,
                       -ovich, -скі/-ский, -ов/-оў, -ук, -ская/-ова for women), so that a few
                       are frequent and most are rare, as in a real list.
OUT_DIR/events.csv     the `razam import events` header: Russian descriptions from a few dozen
                       templates with places and numbers, about those persons.
OUT_DIR/queries-*.txt  one /search?q=… path per line, by kind:
                       latin    the family and given name of a person, romanised (BGN-like),
                       cyrillic the family name and given name in the other Cyrillic spelling,
                       given    a given name and family name, Latin, given name first,
                       text     one or two words of event descriptions, in another form;
OUT_DIR/expected-latin.tsv  ref and latin query with the birth year (is the person found?).
Nobody real is meant: the roots are invented and the combinations random.
"""
import bisect
import csv
import random
import sys
import urllib.parse

persons, events, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)

# (Belarusian, Russian, gender)
GIVEN = [
    ("Аляксандр", "Александр", "m"), ("Дзмітрый", "Дмитрий", "m"), ("Сяргей", "Сергей", "m"),
    ("Андрэй", "Андрей", "m"), ("Аляксей", "Алексей", "m"), ("Ігар", "Игорь", "m"),
    ("Уладзімір", "Владимир", "m"), ("Мікалай", "Николай", "m"), ("Павел", "Павел", "m"),
    ("Максім", "Максим", "m"), ("Віктар", "Виктор", "m"), ("Яўген", "Евгений", "m"),
    ("Юрый", "Юрий", "m"), ("Раман", "Роман", "m"), ("Васіль", "Василий", "m"),
    ("Арцём", "Артём", "m"), ("Дзяніс", "Денис", "m"), ("Алег", "Олег", "m"),
    ("Вольга", "Ольга", "f"), ("Ганна", "Анна", "f"), ("Тацяна", "Татьяна", "f"),
    ("Марына", "Марина", "f"), ("Святлана", "Светлана", "f"), ("Наталля", "Наталья", "f"),
    ("Ірына", "Ирина", "f"), ("Кацярына", "Екатерина", "f"), ("Алена", "Елена", "f"),
    ("Марыя", "Мария", "f"), ("Юлія", "Юлия", "f"), ("Людміла", "Людмила", "f"),
]
FATHERS = [
    ("Аляксандрав", "Александров"), ("Сяргеев", "Сергеев"), ("Мікалаев", "Николаев"),
    ("Уладзіміров", "Владимиров"), ("Віктарав", "Викторов"), ("Іванав", "Иванов"),
    ("Пятров", "Петров"), ("Міхайлав", "Михайлов"), ("Анатольев", "Анатольев"),
]
# Root onsets and codas: invented family-name roots, written the same in both spellings.
ONSETS = ["Кал", "Лас", "Пят", "Бар", "Сав", "Мар", "Гар", "Кух", "Дуб", "Жук", "Лук", "Рам",
          "Сыр", "Тар", "Хам", "Шал", "Яр", "Ваш", "Зар", "Нос", "Паш", "Руд", "Сем", "Цар"]
CODAS = ["ін", "ан", "ук", "ач", "ель", "ыш", "ар", "ок", "ен", "ав", "ік", "ур"]
# (Belarusian masculine, Russian masculine, Belarusian feminine, Russian feminine)
ENDINGS = [
    ("оўскі", "овский", "оўская", "овская"),
    ("енка", "енко", "енка", "енко"),
    ("овіч", "ович", "овіч", "ович"),
    ("оў", "ов", "ова", "ова"),
    ("ук", "ук", "ук", "ук"),
    ("іцкі", "ицкий", "іцкая", "ицкая"),
    ("ін", "ин", "іна", "ина"),
]
REGIONS = ["Мінск", "Минск", "Брэст", "Гомель", "Гродно", "Віцебск", "Магілёў", "Minsk region", ""]
STREETS = ["Ленина", "Победителей", "Независимости", "Калиновского", "Сурганова", "Притыцкого"]
CITIES = ["Минске", "Гомеле", "Бресте", "Гродно", "Витебске", "Могилёве", "Барановичах", "Пинске"]
TEMPLATES = [
    ("detention", "Задержан у дома на улице {street} в {city}, доставлен в РУВД"),
    ("detention", "Задержали после акции в {city}; телефон изъяли"),
    ("search", "Обыск в квартире в {city}, изъяты ноутбук и флаги"),
    ("search", "Обыски у родственников в {city}"),
    ("interrogation", "Допрос в Следственном комитете по делу о протестах"),
    ("administrative_arrest", "Суд назначил {n} суток ареста за участие в акции"),
    ("criminal_case", "Возбуждено уголовное дело, обвинение по статье {art}"),
    ("trial", "Суд в {city} перенёс заседание, адвокат не допущен"),
    ("sentence", "Приговорён к {n} годам колонии, суд в {city}"),
    ("release", "Освобождён после отбытия срока, встречали у колонии"),
    ("ill_treatment", "Избиение при задержании, отказ в медицинской помощи"),
    ("pressure_on_relatives", "Давление на родственников: вызовы в милицию, угрозы"),
    ("dismissal", "Уволен с работы после задержания"),
]
LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "д": "d", "е": "ie", "ё": "io", "ж": "zh", "з": "z",
    "і": "i", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ы": "y", "ь": "", "ъ": "", "э": "e", "ю": "iu", "я": "ia", "'": "",
}


def romanise(name):
    s = "".join(LATIN.get(c, c) for c in name.lower())
    return s[:1].upper() + s[1:]


_CUMULATIVE = {}


def zipf_index(n, s=1.1):
    # An index in 0..n-1 with weight 1/(k+1)^s: a few frequent, most rare.
    if (n, s) not in _CUMULATIVE:
        acc, total = [], 0.0
        for k in range(n):
            total += 1 / (k + 1) ** s
            acc.append(total)
        _CUMULATIVE[(n, s)] = acc
    acc = _CUMULATIVE[(n, s)]
    return min(n - 1, bisect.bisect_left(acc, rng.random() * acc[-1]))


MIDDLES = ["", "ал", "ар", "ан", "ус", "ем", "ор", "ік"]
ROOTS = [o + m + c for o in ONSETS for m in MIDDLES for c in CODAS]
rng.shuffle(ROOTS)


def family(gender, belarusian):
    root = ROOTS[zipf_index(len(ROOTS), 0.8)]
    end = ENDINGS[zipf_index(len(ENDINGS), 1.0)]
    i = (0 if belarusian else 1) + (2 if gender == "f" else 0)
    return root + end[i], root + end[(1 if belarusian else 0) + (2 if gender == "f" else 0)]


rows = []
with open(f"{out}/prisoners.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ref", "given_name", "family_name", "patronymic", "birth_date", "region", "detained_on",
                "articles", "recognized_on", "released_on"])
    for i in range(1, persons + 1):
        be = rng.random() < 0.6
        g = GIVEN[zipf_index(len(GIVEN), 0.5)]
        fam, fam_other = family(g[2], be)
        father = FATHERS[rng.randrange(len(FATHERS))]
        if be:
            pat = father[0] + ("іч" if g[2] == "m" else "на")
        else:
            pat = father[1] + ("ич" if g[2] == "m" else "на")
        given = g[0] if be else g[1]
        given_other = g[1] if be else g[0]
        year = rng.randint(1950, 2005)
        w.writerow([f"SP-{i:07d}", given, fam, pat if rng.random() < 0.7 else "", str(year),
                    rng.choice(REGIONS), f"{rng.randint(2020, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "342", "", ""])
        if i % max(1, persons // 2000) == 0:
            rows.append((f"SP-{i:07d}", given, fam, given_other, fam_other, year))

with open(f"{out}/events.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["person_ref", "role", "kind", "date", "region", "district", "settlement", "facility", "articles",
                "arrest_days", "term_months", "confidentiality", "description"])
    for i in range(1, events + 1):
        kind, text = TEMPLATES[rng.randrange(len(TEMPLATES))]
        city = rng.choice(CITIES)
        desc = text.format(street=rng.choice(STREETS), city=city, n=rng.randint(2, 15), art=rng.choice(["342", "361-1", "130"]))
        w.writerow([f"SP-{rng.randint(1, persons):07d}", "victim", kind,
                    f"{rng.randint(2020, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "", "", "", "",
                    "342" if kind in ("criminal_case", "trial", "sentence") else "",
                    str(rng.randint(3, 30)) if kind == "administrative_arrest" else "",
                    str(rng.randint(12, 180)) if kind == "sentence" else "", "internal", f"{desc}. № {i}"])


def path(q):
    return "/search?q=" + urllib.parse.quote(q)


with open(f"{out}/queries-latin.txt", "w") as fl, open(f"{out}/expected-latin.tsv", "w") as fe, \
        open(f"{out}/queries-cyrillic.txt", "w") as fc, open(f"{out}/queries-given.txt", "w") as fg:
    for ref, given, fam, given_other, fam_other, year in rows:
        latin = f"{romanise(fam)} {romanise(given)}"
        fl.write(path(latin) + "\n")
        # With the birth year, as a documenter narrows a common name.
        fe.write(f"{ref}\t{latin} {year}\n")
        fc.write(path(f"{fam_other} {given_other}") + "\n")
        fg.write(path(f"{romanise(given_other)} {romanise(fam)}") + "\n")
TEXT = ["задержания", "обыски", "колонии", "допросе", "ареста", "избиения", "адвоката", "уволена",
        "задержан Минске", "суд Гомеле", "обыск ноутбук", "родственники угрозы"]
with open(f"{out}/queries-text.txt", "w") as ft:
    for q in TEXT:
        ft.write(path(q) + "\n")
