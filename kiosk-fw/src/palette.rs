//! Drawing the 1-bit layout on a colour display: [`TwoColor`] maps ink and paper to any two
//! colours of the target (an ILI9341 LCD's `Rgb565`), so one renderer serves every panel.

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;

/// A `DrawTarget<Color = BinaryColor>` over a colour target.
#[derive(Debug)]
pub struct TwoColor<'d, D: DrawTarget> {
    target: &'d mut D,
    ink: D::Color,
    paper: D::Color,
}

impl<'d, D: DrawTarget> TwoColor<'d, D> {
    /// Draws `BinaryColor::On` as `ink` and `Off` as `paper` onto `target`.
    pub fn new(target: &'d mut D, ink: D::Color, paper: D::Color) -> Self {
        TwoColor { target, ink, paper }
    }

    fn map(&self, c: BinaryColor) -> D::Color {
        if c.is_on() {
            self.ink
        } else {
            self.paper
        }
    }
}

impl<D: DrawTarget> Dimensions for TwoColor<'_, D> {
    fn bounding_box(&self) -> embedded_graphics::primitives::Rectangle {
        self.target.bounding_box()
    }
}

impl<D: DrawTarget> DrawTarget for TwoColor<'_, D> {
    type Color = BinaryColor;
    type Error = D::Error;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), D::Error> {
        let (ink, paper) = (self.ink, self.paper);
        self.target.draw_iter(
            pixels
                .into_iter()
                .map(|Pixel(p, c)| Pixel(p, if c.is_on() { ink } else { paper })),
        )
    }

    fn fill_solid(
        &mut self,
        area: &embedded_graphics::primitives::Rectangle,
        color: BinaryColor,
    ) -> Result<(), D::Error> {
        let c = self.map(color);
        self.target.fill_solid(area, c)
    }

    fn clear(&mut self, color: BinaryColor) -> Result<(), D::Error> {
        let c = self.map(color);
        self.target.clear(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::mock_display::MockDisplay;
    use embedded_graphics::pixelcolor::Rgb565;
    use embedded_graphics::primitives::{Line, PrimitiveStyle};

    #[test]
    fn ink_and_paper_map_to_the_lcd_colours() {
        let mut lcd: MockDisplay<Rgb565> = MockDisplay::new();
        let mut two = TwoColor::new(&mut lcd, Rgb565::BLUE, Rgb565::WHITE);
        Line::new(Point::new(0, 0), Point::new(2, 0))
            .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 1))
            .draw(&mut two)
            .unwrap();
        Line::new(Point::new(0, 1), Point::new(1, 1))
            .into_styled(PrimitiveStyle::with_stroke(BinaryColor::Off, 1))
            .draw(&mut two)
            .unwrap();
        lcd.assert_pattern(&["BBB", "WW "]);
    }
}
