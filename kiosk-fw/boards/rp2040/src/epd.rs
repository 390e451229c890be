//! Waveshare 7.5" e-Paper V2 (800 × 480, black/white, UC8179 controller) over SPI.
//!
//! The command sequence is Waveshare's reference driver for this panel (`EPD_7in5_V2.c`,
//! also in the `epd-waveshare` crate's `epd7in5_v2`): written out here because it is forty
//! lines and the crate pins embedded-hal 0.2. BUSY is low while the controller works. The frame
//! is the kiosk library's 1-bit MSB-first buffer with 1 = ink: register 0x13 ("new data")
//! takes 1 = black as it is; 0x10 ("old data") gets the inverse, as the reference sends it.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};
use embedded_hal::spi::SpiBus;

/// What went wrong talking to the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpdError {
    /// SPI or a pin reported an error.
    Bus,
    /// BUSY stayed low for longer than a refresh can take (panel missing or broken).
    Timeout,
}

/// The panel on its SPI bus and pins.
#[derive(Debug)]
pub struct Epd7in5V2<SPI, CS, DC, RST, BUSY> {
    spi: SPI,
    cs: CS,
    dc: DC,
    rst: RST,
    busy: BUSY,
}

impl<SPI, CS, DC, RST, BUSY> Epd7in5V2<SPI, CS, DC, RST, BUSY>
where
    SPI: SpiBus<u8>,
    CS: OutputPin,
    DC: OutputPin,
    RST: OutputPin,
    BUSY: InputPin,
{
    /// The panel (not yet initialised).
    pub fn new(spi: SPI, cs: CS, dc: DC, rst: RST, busy: BUSY) -> Self {
        Epd7in5V2 {
            spi,
            cs,
            dc,
            rst,
            busy,
        }
    }

    fn send(&mut self, command: u8, data: &[u8]) -> Result<(), EpdError> {
        self.dc.set_low().map_err(|_| EpdError::Bus)?;
        self.cs.set_low().map_err(|_| EpdError::Bus)?;
        self.spi.write(&[command]).map_err(|_| EpdError::Bus)?;
        self.spi.flush().map_err(|_| EpdError::Bus)?;
        if !data.is_empty() {
            self.dc.set_high().map_err(|_| EpdError::Bus)?;
            self.spi.write(data).map_err(|_| EpdError::Bus)?;
            self.spi.flush().map_err(|_| EpdError::Bus)?;
        }
        self.cs.set_high().map_err(|_| EpdError::Bus)
    }

    fn wait_idle(&mut self, delay: &mut impl DelayNs) -> Result<(), EpdError> {
        // A full refresh takes about 5 s; allow 20.
        for _ in 0..2_000 {
            self.send(0x71, &[])?;
            if self.busy.is_high().map_err(|_| EpdError::Bus)? {
                return Ok(());
            }
            delay.delay_ms(10);
        }
        Err(EpdError::Timeout)
    }

    /// Wakes and initialises the panel.
    ///
    /// # Errors
    /// [`EpdError`].
    pub fn init(&mut self, delay: &mut impl DelayNs) -> Result<(), EpdError> {
        self.rst.set_high().map_err(|_| EpdError::Bus)?;
        delay.delay_ms(20);
        self.rst.set_low().map_err(|_| EpdError::Bus)?;
        delay.delay_ms(2);
        self.rst.set_high().map_err(|_| EpdError::Bus)?;
        delay.delay_ms(20);
        self.send(0x01, &[0x07, 0x07, 0x3F, 0x3F])?; // power: VGH/VGL, VDH/VDL 15 V
        self.send(0x04, &[])?; // power on
        delay.delay_ms(100);
        self.wait_idle(delay)?;
        self.send(0x00, &[0x1F])?; // panel setting: KW mode, LUT from OTP
        self.send(0x61, &[0x03, 0x20, 0x01, 0xE0])?; // resolution 800 × 480
        self.send(0x15, &[0x00])?; // dual SPI off
        self.send(0x50, &[0x10, 0x07])?; // VCOM and data interval
        self.send(0x60, &[0x22])?; // TCON
        Ok(())
    }

    /// Shows `frame` (WIDTH × HEIGHT bits, 1 = ink) with a full refresh.
    ///
    /// # Errors
    /// [`EpdError`].
    pub fn show(&mut self, frame: &[u8], delay: &mut impl DelayNs) -> Result<(), EpdError> {
        self.dc.set_low().map_err(|_| EpdError::Bus)?;
        self.send(0x10, &[])?;
        self.stream(frame, true)?;
        self.send(0x13, &[])?;
        self.stream(frame, false)?;
        self.send(0x12, &[])?; // refresh
        delay.delay_ms(100);
        self.wait_idle(delay)
    }

    fn stream(&mut self, frame: &[u8], invert: bool) -> Result<(), EpdError> {
        self.dc.set_high().map_err(|_| EpdError::Bus)?;
        self.cs.set_low().map_err(|_| EpdError::Bus)?;
        let mut chunk = [0u8; 64];
        for part in frame.chunks(chunk.len()) {
            for (dst, src) in chunk.iter_mut().zip(part) {
                *dst = if invert { !src } else { *src };
            }
            self.spi
                .write(&chunk[..part.len()])
                .map_err(|_| EpdError::Bus)?;
        }
        self.spi.flush().map_err(|_| EpdError::Bus)?;
        self.cs.set_high().map_err(|_| EpdError::Bus)
    }

    /// Powers the panel down into deep sleep (it keeps showing the image without power).
    ///
    /// # Errors
    /// [`EpdError`].
    pub fn sleep(&mut self, delay: &mut impl DelayNs) -> Result<(), EpdError> {
        self.send(0x02, &[])?; // power off
        self.wait_idle(delay)?;
        self.send(0x07, &[0xA5]) // deep sleep
    }
}
