//! `anslag.toml`: the centre, its feeds, its boards and the signing key — what `anslag sync`
//! builds and where it sends it. Every mistake is reported with the file and line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use toml::Spanned;

/// The commented file `anslag init` writes.
pub const TEMPLATE: &str = include_str!("config/anslag.toml");

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The community centre.
    pub centre: Centre,
    /// Signing.
    pub signing: Signing,
    /// Feeds, in order.
    #[serde(default, rename = "feed")]
    pub feeds: Vec<Feed>,
    /// Boards.
    #[serde(default, rename = "board")]
    pub boards: Vec<Board>,
}

/// `[centre]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Centre {
    /// Shown in every board's header.
    pub name: String,
    /// Board UI language.
    #[serde(default = "default_language")]
    pub language: Spanned<String>,
    /// IANA time zone of the boards.
    pub timezone: Spanned<String>,
    /// Days each listing covers, from today.
    #[serde(default = "default_days")]
    pub days_ahead: Spanned<u32>,
    /// Minutes until boards call their listing stale.
    #[serde(default = "default_refresh")]
    pub refresh_minutes: u32,
}

fn default_language() -> Spanned<String> {
    Spanned::new(0..0, "en".into())
}

fn default_days() -> Spanned<u32> {
    Spanned::new(0..0, 14)
}

fn default_refresh() -> u32 {
    24 * 60
}

/// `[signing]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// Secret key from `anslag keygen` (`~` is the home directory; relative to the config file).
    pub key: Spanned<String>,
}

/// One `[[feed]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    /// A file (relative to the config file) or an http(s) URL.
    pub source: Spanned<String>,
    /// Category given to this feed's events that have none.
    #[serde(default)]
    pub category: Option<String>,
    /// Language of this feed's events that have none.
    #[serde(default)]
    pub language: Option<String>,
}

/// One `[[board]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// The board's name, as provisioned in its firmware.
    pub name: Spanned<String>,
    /// `tcp://HOST:PORT`, `serial:///dev/ttyUSB0` (optionally `?baud=N`), `dir:///media/usb`,
    /// `mqtt://…` or `mqtts://…[?ca=FILE.pem]`.
    pub transport: Spanned<String>,
    /// Only events with one of these categories (empty: all).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Only events whose place contains one of these (empty: all).
    #[serde(default)]
    pub places: Vec<String>,
    /// Only events in one of these languages (empty: all).
    #[serde(default)]
    pub languages: Vec<String>,
}

/// Where a board is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A kiosk listening on TCP.
    Tcp(String),
    /// A kiosk on a serial device.
    Serial {
        /// Device path.
        device: PathBuf,
        /// Speed.
        baud: u32,
    },
    /// A directory (USB stick) the kiosk reads.
    Dir(PathBuf),
    /// Retained messages on an MQTT broker.
    Mqtt(crate::link::mqtt::MqttUrl),
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Tcp(a) => write!(f, "tcp://{a}"),
            Transport::Serial { device, baud } => {
                write!(f, "serial://{}?baud={baud}", device.display())
            }
            Transport::Dir(p) => write!(f, "dir://{}", p.display()),
            Transport::Mqtt(u) => write!(f, "{u}"),
        }
    }
}

/// A loaded, checked configuration.
#[derive(Debug)]
pub struct Loaded {
    /// The file it came from.
    pub path: PathBuf,
    /// Its contents.
    pub config: Config,
    /// Its text, for [`Loaded::at`].
    text: String,
    /// The parsed time zone.
    pub tz: chrono_tz::Tz,
    /// Each board's transport, in board order.
    pub transports: Vec<Transport>,
    /// The signing key's path, resolved.
    pub key: PathBuf,
    /// Feed sources, resolved (files relative to the config file).
    pub sources: Vec<String>,
}

impl Loaded {
    /// `FILE:LINE` of a spanned value of the file, to start a message about it with.
    pub fn at<T>(&self, value: &Spanned<T>) -> String {
        format!(
            "{}:{}",
            self.path.display(),
            line_of(&self.text, value.span().start)
        )
    }
}

/// 1-based line of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    base.join(p)
}

/// Parses a transport.
///
/// # Errors
/// An unknown scheme or a malformed address.
pub fn parse_transport(text: &str, base: &Path) -> Result<Transport, String> {
    if let Some(addr) = text.strip_prefix("tcp://") {
        let Some((host, port)) = addr.rsplit_once(':') else {
            return Err(format!("`{text}`: a TCP transport needs HOST:PORT"));
        };
        if host.is_empty() {
            return Err(format!("`{text}`: no host before the port"));
        }
        if !port.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err(format!(
                "`{text}`: the port must be a number from 1 to 65535"
            ));
        }
        return Ok(Transport::Tcp(addr.to_string()));
    }
    if let Some(rest) = text.strip_prefix("serial://") {
        let (device, query) = rest.split_once('?').unwrap_or((rest, ""));
        let baud = match query.strip_prefix("baud=") {
            Some(b) => b
                .parse()
                .map_err(|_| format!("`{text}`: baud must be a number"))?,
            None if query.is_empty() => 115_200,
            None => return Err(format!("`{text}`: the only option is ?baud=N")),
        };
        return Ok(Transport::Serial {
            device: PathBuf::from(device),
            baud,
        });
    }
    if let Some(dir) = text.strip_prefix("dir://") {
        return Ok(Transport::Dir(resolve(base, dir)));
    }
    if text.starts_with("mqtt://") || text.starts_with("mqtts://") {
        let mut url = crate::link::mqtt::parse_url(text)?;
        // Like every path in the file, a CA file is relative to it.
        if let Some(Some(ca)) = &mut url.tls {
            *ca = base.join(&*ca);
        }
        return Ok(Transport::Mqtt(url));
    }
    Err(format!(
        "`{text}`: unknown transport (use tcp://HOST:PORT, serial:///dev/DEVICE, dir:///PATH, \
         mqtt://[USER:PASSWORD@]HOST[:PORT][/PREFIX], or mqtts://… for TLS, with ?ca=FILE.pem \
         for a broker's own CA)"
    ))
}

const LANGUAGES: [&str; 10] = ["de", "lv", "lt", "et", "fi", "sv", "da", "pl", "en", "uk"];

/// Reads and checks `path`.
///
/// # Errors
/// The file cannot be read, is not valid TOML, has an unknown key, a bad time zone, language or
/// transport — each named with the file and line.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (create one with `anslag init`)",
            path.display()
        )
    })?;
    let name = path.display();
    let config: Config = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| line_of(&text, s.start));
        match line {
            Some(l) => anyhow::anyhow!("{name}:{l}: {}", e.message()),
            None => anyhow::anyhow!("{name}: {}", e.message()),
        }
    })?;
    let at = |span: std::ops::Range<usize>| line_of(&text, span.start);
    let base = path.parent().unwrap_or(Path::new("."));
    let tz_text = config.centre.timezone.get_ref();
    let tz: chrono_tz::Tz = tz_text.parse().map_err(|_| {
        anyhow::anyhow!(
            "{name}:{}: unknown time zone `{tz_text}` (an IANA name such as Europe/Riga, \
             Europe/Berlin, Europe/Stockholm, Europe/Warsaw)",
            at(config.centre.timezone.span())
        )
    })?;
    let lang = config.centre.language.get_ref();
    if !LANGUAGES.contains(&lang.as_str()) {
        bail!(
            "{name}:{}: unknown board language `{lang}` (one of {})",
            at(config.centre.language.span()),
            LANGUAGES.join(", ")
        );
    }
    let days = *config.centre.days_ahead.get_ref();
    if days == 0 || days > 366 {
        bail!(
            "{name}:{}: days_ahead must be 1 to 366, not {days}",
            at(config.centre.days_ahead.span())
        );
    }
    if config.boards.is_empty() {
        bail!("{name}: no [[board]] — add one for each noticeboard");
    }
    if config.feeds.is_empty() {
        bail!("{name}: no [[feed]] — add the calendars, feeds and spreadsheets to show");
    }
    let mut transports = Vec::new();
    for (i, b) in config.boards.iter().enumerate() {
        if let Some(first) = config.boards[..i]
            .iter()
            .find(|o| o.name.get_ref() == b.name.get_ref())
        {
            bail!(
                "{name}:{}: two boards are called `{}` (the first on line {}); each board needs \
                 its own name",
                at(b.name.span()),
                b.name.get_ref(),
                at(first.name.span())
            );
        }
        let t = parse_transport(b.transport.get_ref(), base)
            .map_err(|e| anyhow::anyhow!("{name}:{}: {e}", at(b.transport.span())))?;
        transports.push(t);
    }
    let sources = config
        .feeds
        .iter()
        .map(|f| {
            let s = f.source.get_ref();
            if s.starts_with("http://") || s.starts_with("https://") {
                s.clone()
            } else {
                resolve(base, s).to_string_lossy().into_owned()
            }
        })
        .collect();
    let key = resolve(base, config.signing.key.get_ref());
    Ok(Loaded {
        path: path.to_path_buf(),
        text,
        tz,
        transports,
        key,
        sources,
        config,
    })
}

impl Board {
    /// Whether an event passes this board's filters.
    pub fn shows(&self, o: &crate::feeds::Occurrence) -> bool {
        let any = |list: &[String], f: &dyn Fn(&str) -> bool| {
            list.is_empty() || list.iter().any(|x| f(x))
        };
        any(&self.categories, &|c| o.category.eq_ignore_ascii_case(c))
            && any(&self.places, &|p| {
                o.location.to_lowercase().contains(&p.to_lowercase())
            })
            && any(&self.languages, &|l| o.language.eq_ignore_ascii_case(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Loaded> {
        let dir = std::env::temp_dir().join(format!(
            "anslag-config-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("anslag.toml");
        std::fs::write(&p, text).unwrap();
        let r = load(&p);
        std::fs::remove_dir_all(&dir).unwrap();
        r
    }

    #[test]
    fn the_template_loads() {
        let l = load_text(TEMPLATE).unwrap();
        assert_eq!(l.tz, chrono_tz::Europe::Riga);
        assert_eq!(l.config.boards.len(), 2);
        assert!(matches!(l.transports[0], Transport::Tcp(_)));
    }

    #[test]
    fn mistakes_name_file_and_line() {
        let bad_key = TEMPLATE.replacen("days_ahead", "days_ahed", 1);
        let e = format!("{:#}", load_text(&bad_key).unwrap_err());
        let line = TEMPLATE
            .lines()
            .position(|l| l.starts_with("days_ahead"))
            .unwrap()
            + 1;
        assert!(e.contains(&format!("anslag.toml:{line}:")), "{e}");
        assert!(e.contains("days_ahed"), "{e}");

        let bad_tz = TEMPLATE.replacen("Europe/Riga", "Europe/Rigga", 1);
        let e = format!("{:#}", load_text(&bad_tz).unwrap_err());
        assert!(e.contains("unknown time zone `Europe/Rigga`"), "{e}");
        let line = TEMPLATE
            .lines()
            .position(|l| l.contains("Europe/Riga"))
            .unwrap()
            + 1;
        assert!(e.contains(&format!(":{line}:")), "{e}");

        let bad_transport = TEMPLATE.replacen("\"tcp://192", "\"tpc://192", 1);
        let e = format!("{:#}", load_text(&bad_transport).unwrap_err());
        assert!(e.contains("unknown transport"), "{e}");
        assert!(e.contains("mqtts://") && e.contains("?ca="), "{e}");

        let line_with =
            |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let no_days = TEMPLATE.replacen("days_ahead = 14", "days_ahead = 0", 1);
        let e = format!("{:#}", load_text(&no_days).unwrap_err());
        let line = line_with(&no_days, "days_ahead = 0");
        assert!(
            e.contains(&format!("anslag.toml:{line}: days_ahead must be 1 to 366")),
            "{e}"
        );

        let twice = TEMPLATE.replacen("name = \"library\"", "name = \"hall-door\"", 1);
        let e = format!("{:#}", load_text(&twice).unwrap_err());
        let first = line_with(&twice, "name = \"hall-door\"");
        let second = twice
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("name = \"hall-door\""))
            .nth(1)
            .unwrap()
            .0
            + 1;
        assert!(
            e.contains(&format!(
                "anslag.toml:{second}: two boards are called `hall-door` (the first on line \
                 {first})"
            )),
            "{e}"
        );

        let no_port = TEMPLATE.replacen(":7878", ":99999", 1);
        let e = format!("{:#}", load_text(&no_port).unwrap_err());
        let line = line_with(&no_port, ":99999");
        assert!(
            e.contains(&format!("anslag.toml:{line}:")) && e.contains("1 to 65535"),
            "{e}"
        );

        // A missing key: the line of the table that lacks it.
        let no_zone = TEMPLATE.replacen("timezone = \"Europe/Riga\"", "", 1);
        let e = format!("{:#}", load_text(&no_zone).unwrap_err());
        assert!(
            e.contains(&format!("anslag.toml:{}:", line_with(&no_zone, "[centre]")))
                && e.contains("timezone"),
            "{e}"
        );

        let not_toml = "[centre\nname = 1";
        let e = format!("{:#}", load_text(not_toml).unwrap_err());
        assert!(e.contains("anslag.toml:1:"), "{e}");
    }

    #[test]
    fn transports_parse() {
        let b = Path::new("/cfg");
        assert_eq!(
            parse_transport("tcp://10.0.0.5:7878", b),
            Ok(Transport::Tcp("10.0.0.5:7878".into()))
        );
        assert_eq!(
            parse_transport("serial:///dev/ttyUSB0?baud=9600", b),
            Ok(Transport::Serial {
                device: "/dev/ttyUSB0".into(),
                baud: 9600
            })
        );
        assert_eq!(
            parse_transport("dir://stick", b),
            Ok(Transport::Dir("/cfg/stick".into()))
        );
        assert!(parse_transport("tcp://nohost", b).is_err());
        assert!(parse_transport("tcp://h:0", b).is_err());
        assert!(parse_transport("tcp://:7878", b).is_err());
        let Ok(Transport::Mqtt(u)) = parse_transport("mqtts://b?ca=ca.pem", b) else {
            panic!("mqtts")
        };
        assert_eq!(u.tls, Some(Some("/cfg/ca.pem".into())));
        assert!(parse_transport("serial:///dev/x?speed=1", b).is_err());
    }
}
