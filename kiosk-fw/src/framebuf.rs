//! A 1-bit frame buffer, MSB first, rows padded to whole bytes: the layout of e-paper
//! controllers and of a 1-bit PNG row, so the same bytes go to the panel, into the PNG and into
//! the frame hash.

use core::convert::Infallible;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;

/// A frame buffer over caller-provided memory (`BinaryColor::On` = ink).
#[derive(Debug)]
pub struct FrameBuf<'a> {
    bytes: &'a mut [u8],
    width: u32,
    height: u32,
}

impl<'a> FrameBuf<'a> {
    /// Bytes a `width` × `height` frame needs.
    pub const fn bytes_for(width: u32, height: u32) -> usize {
        (width as usize).div_ceil(8) * height as usize
    }

    /// Wraps `bytes`; pixels outside the part of `bytes` that fits are dropped, never panic.
    pub fn new(bytes: &'a mut [u8], width: u32, height: u32) -> Self {
        FrameBuf {
            bytes,
            width,
            height,
        }
    }

    /// The raw frame (rows top to bottom, MSB = leftmost pixel, 1 = ink).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        (self.width as usize).div_ceil(8)
    }

    /// Whether the pixel at (x, y) is ink.
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        let at = y as usize * self.stride() + x as usize / 8;
        self.bytes
            .get(at)
            .is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }
}

impl OriginDimensions for FrameBuf<'_> {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for FrameBuf<'_> {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Infallible> {
        let stride = self.stride();
        for Pixel(p, color) in pixels {
            let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y)) else {
                continue;
            };
            if x >= self.width || y >= self.height {
                continue;
            }
            let bit = 0x80u8 >> (x % 8);
            if let Some(b) = self.bytes.get_mut(y as usize * stride + x as usize / 8) {
                if color.is_on() {
                    *b |= bit;
                } else {
                    *b &= !bit;
                }
            }
        }
        Ok(())
    }

    fn clear(&mut self, color: BinaryColor) -> Result<(), Infallible> {
        self.bytes.fill(if color.is_on() { 0xFF } else { 0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};

    #[test]
    fn pixels_land_msb_first_and_clip() {
        let mut mem = [0u8; FrameBuf::bytes_for(10, 2)];
        let mut f = FrameBuf::new(&mut mem, 10, 2);
        Rectangle::new(Point::new(-3, 1), Size::new(5, 5))
            .into_styled(PrimitiveStyle::with_fill(BinaryColor::On))
            .draw(&mut f)
            .unwrap();
        Pixel(Point::new(9, 0), BinaryColor::On)
            .draw(&mut f)
            .unwrap();
        assert_eq!(f.as_bytes(), &[0x00, 0x40, 0xC0, 0x00]);
        assert!(f.pixel(9, 0) && f.pixel(1, 1) && !f.pixel(2, 1));
    }
}
