//! The board's words: weekday and month names and a few UI phrases, per UI language.
//!
//! Languages: de, lv, lt, et, fi, sv, da, pl, en, uk (unknown tags fall back to English).
//! Dates are written the way each language writes a day heading ("Donnerstag, 5. März",
//! "ceturtdiena, 5. marts", "torsdag 5 mars", "czwartek, 5 marca", "четвер, 5 березня").

use core::fmt;

use anslag_core::time::Date;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// German.
    De,
    /// Latvian.
    Lv,
    /// Lithuanian.
    Lt,
    /// Estonian.
    Et,
    /// Finnish.
    Fi,
    /// Swedish.
    Sv,
    /// Danish.
    Da,
    /// Polish.
    Pl,
    /// English.
    En,
    /// Ukrainian.
    Uk,
}

/// The UI phrases a board needs.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    /// Weekdays, Monday first.
    pub weekdays: [&'static str; 7],
    /// Months as used after a day number.
    pub months: [&'static str; 12],
    /// Shown next to a cancelled event.
    pub cancelled: &'static str,
    /// Heading for today.
    pub today: &'static str,
    /// Heading for tomorrow.
    pub tomorrow: &'static str,
    /// An event without times.
    pub all_day: &'static str,
    /// "until" before an end date of a multi-day event.
    pub until: &'static str,
    /// Footer: when the listing was updated.
    pub updated: &'static str,
    /// An empty listing.
    pub no_events: &'static str,
    /// The listing is older than its refresh interval.
    pub stale: &'static str,
    /// The listing's validity window is over.
    pub expired: &'static str,
}

impl Lang {
    /// The language for a BCP 47 tag (`lv`, `de-AT`, `sv_SE`…); English when unknown.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        const TAGS: [(&str, Lang); 9] = [
            ("de", Lang::De),
            ("lv", Lang::Lv),
            ("lt", Lang::Lt),
            ("et", Lang::Et),
            ("fi", Lang::Fi),
            ("sv", Lang::Sv),
            ("da", Lang::Da),
            ("pl", Lang::Pl),
            ("uk", Lang::Uk),
        ];
        TAGS.iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(primary))
            .map_or(Lang::En, |&(_, l)| l)
    }

    /// The words of this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::De => &DE,
            Lang::Lv => &LV,
            Lang::Lt => &LT,
            Lang::Et => &ET,
            Lang::Fi => &FI,
            Lang::Sv => &SV,
            Lang::Da => &DA,
            Lang::Pl => &PL,
            Lang::En => &EN,
            Lang::Uk => &UK,
        }
    }

    /// A day heading such as "Donnerstag, 5. März".
    pub fn day_heading(self, date: Date) -> DayHeading {
        DayHeading { lang: self, date }
    }

    /// A short date such as "5.3." / "5/3" for footers.
    pub fn short_date(self, date: Date) -> ShortDate {
        ShortDate { lang: self, date }
    }
}

/// Display of a day heading; see [`Lang::day_heading`].
#[derive(Debug, Clone, Copy)]
pub struct DayHeading {
    lang: Lang,
    date: Date,
}

impl fmt::Display for DayHeading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.lang.words();
        let wd = w
            .weekdays
            .get(usize::from(self.date.weekday()))
            .copied()
            .unwrap_or("");
        let m = w
            .months
            .get(usize::from(self.date.month.saturating_sub(1)))
            .copied()
            .unwrap_or("");
        let d = self.date.day;
        match self.lang {
            Lang::De | Lang::Lv | Lang::Et => write!(f, "{wd}, {d}. {m}"),
            Lang::Fi => write!(f, "{wd} {d}. {m}"),
            Lang::Da => write!(f, "{wd} den {d}. {m}"),
            Lang::Sv => write!(f, "{wd} {d} {m}"),
            Lang::Pl | Lang::Uk => write!(f, "{wd}, {d} {m}"),
            Lang::Lt => write!(f, "{wd}, {m} {d} d."),
            Lang::En => write!(f, "{wd}, {d} {m}"),
        }
    }
}

/// Display of a short date; see [`Lang::short_date`].
#[derive(Debug, Clone, Copy)]
pub struct ShortDate {
    lang: Lang,
    date: Date,
}

impl fmt::Display for ShortDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, m) = (self.date.day, self.date.month);
        match self.lang {
            Lang::Sv | Lang::En => write!(f, "{d}/{m}"),
            Lang::Lt => write!(f, "{:02}-{:02}", m, d),
            _ => write!(f, "{d}.{m}."),
        }
    }
}

const EN: Words = Words {
    weekdays: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    cancelled: "cancelled",
    today: "Today",
    tomorrow: "Tomorrow",
    all_day: "all day",
    until: "until",
    updated: "Updated",
    no_events: "No upcoming events. See you soon!",
    stale: "Not updated recently",
    expired: "Listing out of date",
};
const DE: Words = Words {
    weekdays: [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    cancelled: "abgesagt",
    today: "Heute",
    tomorrow: "Morgen",
    all_day: "ganztägig",
    until: "bis",
    updated: "Aktualisiert",
    no_events: "Zurzeit keine Veranstaltungen geplant.",
    stale: "Länger nicht aktualisiert",
    expired: "Aushang veraltet",
};
const LV: Words = Words {
    weekdays: [
        "pirmdiena",
        "otrdiena",
        "trešdiena",
        "ceturtdiena",
        "piektdiena",
        "sestdiena",
        "svētdiena",
    ],
    months: [
        "janvāris",
        "februāris",
        "marts",
        "aprīlis",
        "maijs",
        "jūnijs",
        "jūlijs",
        "augusts",
        "septembris",
        "oktobris",
        "novembris",
        "decembris",
    ],
    cancelled: "atcelts",
    today: "Šodien",
    tomorrow: "Rīt",
    all_day: "visu dienu",
    until: "līdz",
    updated: "Atjaunots",
    no_events: "Tuvākajā laikā pasākumu nav.",
    stale: "Sen nav atjaunots",
    expired: "Saraksts novecojis",
};
const LT: Words = Words {
    weekdays: [
        "pirmadienis",
        "antradienis",
        "trečiadienis",
        "ketvirtadienis",
        "penktadienis",
        "šeštadienis",
        "sekmadienis",
    ],
    months: [
        "sausio",
        "vasario",
        "kovo",
        "balandžio",
        "gegužės",
        "birželio",
        "liepos",
        "rugpjūčio",
        "rugsėjo",
        "spalio",
        "lapkričio",
        "gruodžio",
    ],
    cancelled: "atšaukta",
    today: "Šiandien",
    tomorrow: "Rytoj",
    all_day: "visą dieną",
    until: "iki",
    updated: "Atnaujinta",
    no_events: "Artimiausiu metu renginių nėra.",
    stale: "Seniai atnaujinta",
    expired: "Sąrašas pasenęs",
};
const ET: Words = Words {
    weekdays: [
        "esmaspäev",
        "teisipäev",
        "kolmapäev",
        "neljapäev",
        "reede",
        "laupäev",
        "pühapäev",
    ],
    months: [
        "jaanuar",
        "veebruar",
        "märts",
        "aprill",
        "mai",
        "juuni",
        "juuli",
        "august",
        "september",
        "oktoober",
        "november",
        "detsember",
    ],
    cancelled: "ära jäetud",
    today: "Täna",
    tomorrow: "Homme",
    all_day: "terve päev",
    until: "kuni",
    updated: "Uuendatud",
    no_events: "Lähiajal üritusi ei ole.",
    stale: "Pole ammu uuendatud",
    expired: "Nimekiri on aegunud",
};
const FI: Words = Words {
    weekdays: [
        "maanantai",
        "tiistai",
        "keskiviikko",
        "torstai",
        "perjantai",
        "lauantai",
        "sunnuntai",
    ],
    months: [
        "tammikuuta",
        "helmikuuta",
        "maaliskuuta",
        "huhtikuuta",
        "toukokuuta",
        "kesäkuuta",
        "heinäkuuta",
        "elokuuta",
        "syyskuuta",
        "lokakuuta",
        "marraskuuta",
        "joulukuuta",
    ],
    cancelled: "peruttu",
    today: "Tänään",
    tomorrow: "Huomenna",
    all_day: "koko päivän",
    until: "asti",
    updated: "Päivitetty",
    no_events: "Ei tulevia tapahtumia.",
    stale: "Ei päivitetty vähään aikaan",
    expired: "Luettelo vanhentunut",
};
const SV: Words = Words {
    weekdays: [
        "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
    ],
    months: [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    cancelled: "inställt",
    today: "I dag",
    tomorrow: "I morgon",
    all_day: "hela dagen",
    until: "till",
    updated: "Uppdaterad",
    no_events: "Inga kommande evenemang just nu.",
    stale: "Inte uppdaterad på länge",
    expired: "Listan är inaktuell",
};
const DA: Words = Words {
    weekdays: [
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    ],
    months: [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ],
    cancelled: "aflyst",
    today: "I dag",
    tomorrow: "I morgen",
    all_day: "hele dagen",
    until: "til",
    updated: "Opdateret",
    no_events: "Ingen kommende arrangementer lige nu.",
    stale: "Ikke opdateret længe",
    expired: "Listen er forældet",
};
const PL: Words = Words {
    weekdays: [
        "poniedziałek",
        "wtorek",
        "środa",
        "czwartek",
        "piątek",
        "sobota",
        "niedziela",
    ],
    months: [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
    cancelled: "odwołane",
    today: "Dzisiaj",
    tomorrow: "Jutro",
    all_day: "cały dzień",
    until: "do",
    updated: "Zaktualizowano",
    no_events: "Brak nadchodzących wydarzeń.",
    stale: "Dawno nie aktualizowano",
    expired: "Lista nieaktualna",
};
const UK: Words = Words {
    weekdays: [
        "понеділок",
        "вівторок",
        "середа",
        "четвер",
        "п'ятниця",
        "субота",
        "неділя",
    ],
    months: [
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ],
    cancelled: "скасовано",
    today: "Сьогодні",
    tomorrow: "Завтра",
    all_day: "весь день",
    until: "до",
    updated: "Оновлено",
    no_events: "Найближчим часом подій немає.",
    stale: "Давно не оновлювалося",
    expired: "Список застарів",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_read_naturally() {
        let d = Date::new(2026, 3, 5).unwrap();
        let h = |l: Lang| std::format!("{}", l.day_heading(d));
        assert_eq!(h(Lang::De), "Donnerstag, 5. März");
        assert_eq!(h(Lang::Lv), "ceturtdiena, 5. marts");
        assert_eq!(h(Lang::Sv), "torsdag 5 mars");
        assert_eq!(h(Lang::Pl), "czwartek, 5 marca");
        assert_eq!(h(Lang::Lt), "ketvirtadienis, kovo 5 d.");
        assert_eq!(h(Lang::Da), "torsdag den 5. marts");
        assert_eq!(h(Lang::Uk), "четвер, 5 березня");
        assert_eq!(Lang::from_tag("de-AT"), Lang::De);
        assert_eq!(Lang::from_tag("xx"), Lang::En);
    }
}
