//! Fleets over MQTT: each board's signed envelopes as retained messages on a broker (mosquitto
//! or any MQTT 3.1.1 broker), so a board that comes online later still gets the newest bundle.
//!
//! ```text
//! PREFIX/BOARD/bundle        retained, QoS 1   the full envelope of the newest bundle
//! PREFIX/BOARD/delta/CRC     retained, QoS 1   a delta envelope against the bundle whose CRC-32
//!                                              (8 hex digits) is CRC — the board's previous one
//! ```
//!
//! Only the newest delta stays retained: `anslag sync` and `anslag push --mqtt` clear the one
//! they published before (an
//! empty retained message deletes it on the broker), so a board that connects gets at most one
//! delta and the full bundle.
//!
//! A kiosk subscribes to `PREFIX/BOARD/#` and installs what applies: the delta for the bundle it
//! holds, or the full bundle; a retained message it already has (or an older one) is refused as a
//! replay and ignored. URL: `mqtt://[USER:PASSWORD@]HOST[:PORT][/PREFIX]` (port 1883), or
//! `mqtts://…` for TLS (port 8883; the system's CA certificates, or `?ca=FILE.pem` for a broker
//! with its own CA); prefix `anslag`.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::cmd::push::Signed;

/// Largest message either side accepts (a 4,561-event bundle deflates to ≈ 150 KB).
const MAX_PACKET: usize = 4 << 20;

/// A broker address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttUrl {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// Topic prefix.
    pub prefix: String,
    /// TLS: `None` for plain TCP; `Some(None)` with the system's CAs; `Some(Some(file))` with
    /// this CA certificate (PEM).
    pub tls: Option<Option<std::path::PathBuf>>,
}

impl std::fmt::Display for MqttUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls.is_some() { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}/{}", self.host, self.port, self.prefix)
    }
}

/// Parses `mqtt://[USER:PASSWORD@]HOST[:PORT][/PREFIX]`.
///
/// # Errors
/// Another scheme, or a malformed port.
pub fn parse_url(text: &str) -> Result<MqttUrl, String> {
    let (rest, tls) = match (text.strip_prefix("mqtt://"), text.strip_prefix("mqtts://")) {
        (Some(r), _) => (r, false),
        (_, Some(r)) => (r, true),
        _ => {
            return Err(format!(
                "`{text}`: an MQTT broker is mqtt://HOST[:PORT][/PREFIX] or mqtts://…"
            ))
        }
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let ca = match query.strip_prefix("ca=") {
        Some(file) if tls => Some(std::path::PathBuf::from(file)),
        Some(_) => return Err(format!("`{text}`: ?ca= goes with mqtts://")),
        None if query.is_empty() => None,
        None => return Err(format!("`{text}`: the only option is ?ca=FILE.pem")),
    };
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((a, r)) => (Some(a), r),
        None => (None, rest),
    };
    let (hostport, prefix) = rest.split_once('/').unwrap_or((rest, "anslag"));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .map_err(|_| format!("`{text}`: the port must be a number"))?,
        ),
        None => (hostport, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() {
        return Err(format!("`{text}`: no host"));
    }
    let credentials = auth.map(|a| {
        let (u, p) = a.split_once(':').unwrap_or((a, ""));
        (u.to_string(), p.to_string())
    });
    Ok(MqttUrl {
        host: host.to_string(),
        port,
        credentials,
        prefix: prefix.trim_end_matches('/').to_string(),
        tls: tls.then_some(ca),
    })
}

fn options(url: &MqttUrl, client_id: &str) -> Result<MqttOptions> {
    let mut o = MqttOptions::new(client_id, url.host.clone(), url.port);
    match &url.tls {
        None => {}
        Some(None) => {
            o.set_transport(rumqttc::Transport::tls_with_default_config());
        }
        Some(Some(ca)) => {
            o.set_transport(rumqttc::Transport::tls(ca_roots(ca)?, None, None));
        }
    }
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(MAX_PACKET, MAX_PACKET);
    if let Some((u, p)) = &url.credentials {
        o.set_credentials(u.clone(), p.clone());
    }
    Ok(o)
}

/// The topic of a board's full bundle.
pub fn bundle_topic(url: &MqttUrl, board: &str) -> String {
    format!("{}/{board}/bundle", url.prefix)
}

/// The topic of a board's delta against the bundle with CRC `base_crc`.
pub fn delta_topic(url: &MqttUrl, board: &str, base_crc: u32) -> String {
    format!("{}/{board}/delta/{base_crc:08x}", url.prefix)
}

/// What a publish sent.
#[derive(Debug, Clone)]
pub struct Published {
    /// Bytes of payload published (full + delta).
    pub bytes: u64,
    /// Whether a delta was published too.
    pub delta: bool,
    /// The delta's topic, now retained on the broker: the one to clear with the next publish.
    pub delta_topic: Option<String>,
}

/// The delta topics retained for `board` by the last publish from this machine, as recorded
/// in the cache (`sync/BOARD.mqtt-delta`): the ones the next publish clears. Shared by
/// `anslag sync` and `anslag push --mqtt`.
pub fn last_retained(cache: &std::path::Path, board: &str) -> Vec<String> {
    std::fs::read_to_string(retained_record(cache, board))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Records what `published` left retained for `board` (see [`last_retained`]); a failure to
/// write is a warning, not an error: the next publish would merely leave one stale delta.
pub fn remember_retained(cache: &std::path::Path, board: &str, published: &Published) {
    let record = retained_record(cache, board);
    let text = published
        .delta_topic
        .as_ref()
        .map(|t| format!("{t}\n"))
        .unwrap_or_default();
    if let Some(dir) = record.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&record, text) {
        tracing::warn!("cannot write {}: {e}", record.display());
    }
}

fn retained_record(cache: &std::path::Path, board: &str) -> std::path::PathBuf {
    cache
        .join("sync")
        .join(format!("{}.mqtt-delta", crate::link::safe_file_name(board)))
}

/// The retained messages that publish `signed`: a delta against `base` (the bundle the board
/// ran before) when given and smaller, then the full envelope.
pub fn messages(url: &MqttUrl, signed: &Signed, base: Option<&[u8]>) -> Vec<(String, Vec<u8>)> {
    // The delta first: a board holding the base installs it, then refuses the full bundle as a
    // replay after reading only its header.
    let mut messages = Vec::new();
    if let Some(base) = base {
        let delta = signed.seal(Some(base), false);
        let is_delta =
            anslag_core::wire::Header::decode(&delta).is_ok_and(|(h, _)| h.base.is_some());
        if is_delta {
            let crc = anslag_core::wire::bundle_crc(base);
            messages.push((delta_topic(url, &signed.board, crc), delta));
        }
    }
    messages.push((bundle_topic(url, &signed.board), signed.seal(None, false)));
    messages
}

/// Publishes `signed` for its board ([`messages`]); retained, QoS 1, acknowledged by the broker.
/// Each topic in `clear` (older deltas, from earlier publishes) gets an empty retained message,
/// which removes it from the broker, so a board that connects receives only the current delta
/// and the full bundle.
///
/// # Errors
/// The broker cannot be reached or does not acknowledge within `timeout`.
pub async fn publish(
    url: &MqttUrl,
    signed: &Signed,
    base: Option<&[u8]>,
    clear: &[String],
    timeout: Duration,
) -> Result<Published> {
    let id = format!("anslag-publish-{}-{}", signed.board, std::process::id());
    let (client, mut events) = AsyncClient::new(options(url, &id)?, 16);
    let messages = messages(url, signed, base);
    let delta_topic = (messages.len() > 1).then(|| messages[0].0.clone());
    let bytes = messages.iter().map(|(_, m)| m.len() as u64).sum();
    let stale: Vec<(String, Vec<u8>)> = clear
        .iter()
        .filter(|t| delta_topic.as_ref() != Some(*t))
        .map(|t| (t.clone(), Vec::new()))
        .collect();
    let all: Vec<(String, Vec<u8>)> = messages.into_iter().chain(stale).collect();
    let count = all.len();
    // Published from a task: with more messages than the request queue holds, publishing
    // waits for the event loop below to make room.
    let sender = client.clone();
    let publishing = tokio::spawn(async move {
        for (topic, payload) in all {
            sender
                .publish(topic, QoS::AtLeastOnce, true, payload)
                .await
                .context("MQTT publish failed")?;
        }
        Ok::<(), anyhow::Error>(())
    });
    let wait = async {
        let mut acked = 0;
        while acked < count {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(e) => bail!("MQTT broker {url}: {e}"),
            }
        }
        let _ = client.disconnect().await;
        // Let the disconnect go out.
        let _ = tokio::time::timeout(Duration::from_millis(200), events.poll()).await;
        Ok(())
    };
    let waited = tokio::time::timeout(timeout, wait)
        .await
        .with_context(|| format!("MQTT broker {url} did not acknowledge in time"));
    publishing.abort();
    waited??;
    Ok(Published {
        bytes,
        delta: delta_topic.is_some(),
        delta_topic,
    })
}

/// Checks a TLS URL's CA file as the connection would read it (PEM, at least one certificate
/// rustls accepts), without connecting.
///
/// # Errors
/// The file cannot be read or holds no usable certificate.
pub fn check_ca(url: &MqttUrl) -> Result<()> {
    if let Some(Some(ca)) = &url.tls {
        ca_roots(ca)?;
    }
    Ok(())
}

fn ca_roots(ca: &std::path::Path) -> Result<Vec<u8>> {
    use rumqttc::tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer};
    let pem = std::fs::read(ca)
        .with_context(|| format!("cannot read the broker's CA {}", ca.display()))?;
    let mut roots = rumqttc::tokio_rustls::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.with_context(|| format!("the broker's CA {} is not valid PEM", ca.display()))?;
        roots.add(cert).with_context(|| {
            format!("the broker's CA {}: not a usable certificate", ca.display())
        })?;
    }
    if roots.is_empty() {
        bail!(
            "the broker's CA {} holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)",
            ca.display()
        );
    }
    Ok(pem)
}

/// Subscribes as board `board` and hands every message's topic and payload to `on_message`
/// until it returns `false`.
///
/// # Errors
/// The broker cannot be reached.
pub async fn subscribe(
    url: &MqttUrl,
    board: &str,
    mut on_message: impl FnMut(&str, &[u8]) -> bool,
) -> Result<()> {
    let id = format!("anslag-kiosk-{board}-{}", std::process::id());
    let mut opts = options(url, &id)?;
    opts.set_clean_session(true);
    let (client, mut events) = AsyncClient::new(opts, 16);
    client
        .subscribe(format!("{}/{board}/#", url.prefix), QoS::AtLeastOnce)
        .await
        .context("MQTT subscribe failed")?;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if !on_message(&p.topic, &p.payload) {
                    let _ = client.disconnect().await;
                    return Ok(());
                }
            }
            Ok(_) => {}
            Err(e) => {
                // Reconnect after a pause, as a board would.
                eprintln!("MQTT {url}: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("mqtt://broker.lan"),
            Ok(MqttUrl {
                host: "broker.lan".into(),
                port: 1883,
                credentials: None,
                prefix: "anslag".into(),
                tls: None,
            })
        );
        assert_eq!(
            parse_url("mqtt://hall:s3cret@10.0.0.2:8883/ķekava/boards/"),
            Ok(MqttUrl {
                host: "10.0.0.2".into(),
                port: 8883,
                credentials: Some(("hall".into(), "s3cret".into())),
                prefix: "ķekava/boards".into(),
                tls: None,
            })
        );
        let tls = parse_url("mqtts://broker.lan/x?ca=/etc/anslag/ca.pem").unwrap();
        assert_eq!(
            (tls.port, tls.tls),
            (8883, Some(Some("/etc/anslag/ca.pem".into())))
        );
        assert_eq!(parse_url("mqtts://b").unwrap().tls, Some(None));
        assert!(parse_url("mqtt://b?ca=x").is_err());
        assert!(parse_url("mqtt://x:port").is_err());
        assert!(parse_url("http://x").is_err());
    }
}
