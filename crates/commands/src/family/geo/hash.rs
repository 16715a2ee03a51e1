//! The geohash arithmetic behind the geo commands, as Redis computes it
//! (`geohash.c`, `geohash_helper.c`), so that scores, cells, distances and
//! therefore search results agree with Redis bit for bit.
//!
//! A position is stored as a sorted-set score: a 52-bit integer whose even
//! bits are the latitude cell index and odd bits the longitude cell index,
//! each 26 bits over Redis's ranges (longitude ±180, latitude ±85.05112878,
//! the Web Mercator limits). A shorter prefix (`step` bits per axis) names
//! a bigger cell, the unit a search walks as one score range.

use std::cmp::Ordering;
use std::f64::consts::PI;

/// Bits per axis of a stored position (26 × 2 = 52 bits, exact in a double).
pub const STEP_MAX: u8 = 26;
/// Southernmost latitude that can be stored.
pub const LAT_MIN: f64 = -85.05112878;
/// Northernmost latitude that can be stored.
pub const LAT_MAX: f64 = 85.05112878;
/// Westernmost longitude.
pub const LON_MIN: f64 = -180.0;
/// Easternmost longitude.
pub const LON_MAX: f64 = 180.0;

/// Radius of the Earth used by every distance (WGS-84 quadratic mean), in
/// meters: Redis's value, so distances print the same digits.
const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Half the Web Mercator world width: the radius past which one cell per
/// axis is already too small (`MERCATOR_MAX`).
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians factor, computed as C computes `M_PI / 180.0`.
const DEG_TO_RAD: f64 = PI / 180.0;

/// Even bit positions of a 64-bit word (where the first axis goes).
const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// An interval of one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// Redis's longitude range for stored positions.
pub const LON_RANGE: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
/// Redis's latitude range for stored positions.
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell: `step` bits per axis, interleaved (latitude in the even bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The interleaved cell indexes.
    pub bits: u64,
    /// Bits per axis.
    pub step: u8,
}

impl Cell {
    /// The lowest score of a stored position inside the cell: the cell
    /// bits moved to the top of the 52 bits (`geohashAlign52Bits`).
    pub fn score_min(self) -> u64 {
        self.bits << (52 - 2 * u32::from(self.step))
    }

    /// The first score past the cell (the next cell's lowest score).
    pub fn score_end(self) -> u64 {
        Cell {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        }
        .score_min()
    }
}

/// The extent of a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    /// Longitude interval.
    pub lon: Range,
    /// Latitude interval.
    pub lat: Range,
}

/// Spreads the 32 bits of `v` over the even bit positions of a word.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & EVEN_BITS
}

/// Gathers the even bits of `v` into a 32-bit number (inverse of `spread`).
fn gather(v: u64) -> u32 {
    let mut x = v & EVEN_BITS;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) as u32
}

/// The cell of `step` bits per axis holding a point, over the given axis
/// ranges (`geohashEncode`); `None` for a step outside 1..=32 or a point
/// outside Redis's storable limits or the ranges.
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Cell> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
    // The offsets are in 0..=2^step, so the truncation to 32 bits is exact.
    Some(Cell {
        bits: spread(lat_offset as u32) | (spread(lon_offset as u32) << 1),
        step,
    })
}

/// [`encode`] over Redis's ranges.
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Cell> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, step)
}

/// The extent of a cell over Redis's ranges (`geohashDecode`). Bits past
/// the step (from scores that were not written by GEOADD) widen the
/// indexes as they do in Redis.
pub fn decode(cell: Cell) -> Area {
    let lat_index = gather(cell.bits);
    let lon_index = gather(cell.bits >> 1);
    let cells = (1u64 << cell.step) as f64;
    let lat_scale = LAT_MAX - LAT_MIN;
    let lon_scale = LON_MAX - LON_MIN;
    // `index + 1` is 32-bit arithmetic in Redis: it wraps.
    Area {
        lat: Range {
            min: LAT_MIN + (f64::from(lat_index) / cells) * lat_scale,
            max: LAT_MIN + (f64::from(lat_index.wrapping_add(1)) / cells) * lat_scale,
        },
        lon: Range {
            min: LON_MIN + (f64::from(lon_index) / cells) * lon_scale,
            max: LON_MIN + (f64::from(lon_index.wrapping_add(1)) / cells) * lon_scale,
        },
    }
}

/// Converts a score to an integer as C's `(uint64_t)` cast does on x86-64
/// (negative values wrap, NaN and values out of range give the CPU's
/// "indefinite" result), so any score decodes as in Redis.
pub fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // What `cvttsd2si` gives: truncation, or i64::MIN when out of range.
    let cvt = |x: f64| {
        if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
            i64::MIN as u64
        } else {
            x as i64 as u64
        }
    };
    if score >= TWO_63 {
        cvt(score - TWO_63) ^ (1 << 63)
    } else {
        cvt(score)
    }
}

/// The position (longitude, latitude) a score stands for: the centre of
/// its 26-bit cell, clamped to the storable limits
/// (`geohashDecodeToLongLatWGS84`).
pub fn position(score: f64) -> (f64, f64) {
    let area = decode(Cell {
        bits: score_bits(score),
        step: STEP_MAX,
    });
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The standard 11-character base32 geohash of a stored position (GEOHASH):
/// re-encoded over ±180/±90, as the standard uses, with the eleventh
/// character always `0` since only 52 bits exist.
pub fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = position(score);
    let standard = encode(
        Range {
            min: -180.0,
            max: 180.0,
        },
        Range {
            min: -90.0,
            max: 90.0,
        },
        lon,
        lat,
        STEP_MAX,
    );
    let bits = standard.map_or(0, |c| c.bits);
    let mut out = [b'0'; 11];
    for (i, ch) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *ch = ALPHABET[idx as usize];
    }
    out
}

/// The eight cells around `cell`, wrapping around each axis, in the order
/// Redis searches them: north, south, east, west, north-east, north-west,
/// south-east, south-west.
pub fn neighbours(cell: Cell) -> [Cell; 8] {
    let at = |dx: i8, dy: i8| move_lat(move_lon(cell, dx), dy);
    [
        at(0, 1),
        at(0, -1),
        at(1, 0),
        at(-1, 0),
        at(1, 1),
        at(-1, 1),
        at(1, -1),
        at(-1, -1),
    ]
}

/// Mask of the low `step` bits of an axis index.
fn axis_mask(step: u8) -> u32 {
    ((1u64 << step) - 1) as u32
}

/// Moves a cell one column east (`d > 0`) or west (`d < 0`), wrapping; the
/// latitude bits are kept as they are.
fn move_lon(cell: Cell, d: i8) -> Cell {
    if d == 0 {
        return cell;
    }
    let index = gather(cell.bits >> 1).wrapping_add_signed(i32::from(d)) & axis_mask(cell.step);
    Cell {
        bits: (cell.bits & EVEN_BITS) | (spread(index) << 1),
        step: cell.step,
    }
}

/// Moves a cell one row north (`d > 0`) or south (`d < 0`), wrapping; the
/// longitude bits are kept as they are.
fn move_lat(cell: Cell, d: i8) -> Cell {
    if d == 0 {
        return cell;
    }
    let index = gather(cell.bits).wrapping_add_signed(i32::from(d)) & axis_mask(cell.step);
    Cell {
        bits: (cell.bits & !EVEN_BITS) | spread(index),
        step: cell.step,
    }
}

/// Degrees to radians, as Redis's `deg_rad`.
fn rad(deg: f64) -> f64 {
    deg * DEG_TO_RAD
}

/// Radians to degrees, as Redis's `rad_deg`.
fn deg(rad: f64) -> f64 {
    rad / DEG_TO_RAD
}

/// Distance in meters between two latitudes on one meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (rad(lat2) - rad(lat1)).abs()
}

/// Great-circle distance in meters (the haversine formula), with Redis
/// 7.2's shortcut when both points share a longitude.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((rad(lon2) - rad(lon1)) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (rad(lat1), rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// Bits per axis of the cells a search of `radius_m` meters around
/// latitude `lat` walks (`geohashEstimateStepsByRadius`): cells about as
/// big as the radius, bigger near the poles.
pub fn steps_for_radius(radius_m: f64, lat: f64) -> u8 {
    if radius_m == 0.0 {
        return STEP_MAX;
    }
    let mut range = radius_m;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// What a search covers: a circle or an axis-aligned box, in the caller's
/// unit (`conversion` meters per unit) around a centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// Centre longitude.
    pub lon: f64,
    /// Centre latitude.
    pub lat: f64,
    /// Meters per unit of the sizes.
    pub conversion: f64,
    /// Circle or box.
    pub kind: ShapeKind,
}

/// The two search shapes, sized in the request's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShapeKind {
    /// BYRADIUS / GEORADIUS.
    Radius(f64),
    /// BYBOX: width (east-west) and height (north-south).
    Box {
        /// East-west size.
        width: f64,
        /// North-south size.
        height: f64,
    },
}

impl Shape {
    /// The longitude/latitude box that contains the shape
    /// (`geohashBoundingBox`), as [min lon, min lat, max lon, max lat]:
    /// the east-west extent is taken at the edge nearer the pole.
    fn bounds(&self) -> [f64; 4] {
        let (half_w, half_h) = match self.kind {
            ShapeKind::Radius(r) => (r, r),
            ShapeKind::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = deg(height / EARTH_RADIUS_M);
        let lon_delta_top = deg(width / EARTH_RADIUS_M / rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = deg(width / EARTH_RADIUS_M / rad(self.lat - lat_delta).cos());
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The distance in meters from the centre to a point when the point is
    /// inside the shape (`geoWithinShape`).
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                // Only "farther than the radius" excludes: a NaN distance
                // (nearly antipodal points) passes, as in Redis.
                let outside = d.partial_cmp(&(r * self.conversion)) == Some(Ordering::Greater);
                (!outside).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                if lat_distance(lat, self.lat) > height * self.conversion / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width * self.conversion / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The cells a search walks, in Redis's order (the centre's cell, then
    /// north, south, east, west, north-east, north-west, south-east,
    /// south-west); `None` marks a neighbour Redis leaves out because it
    /// lies wholly outside the shape's bounding box
    /// (`geohashCalculateAreasByShapeWGS84`).
    pub fn cells(&self) -> [Option<Cell>; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let radius_m = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut step = steps_for_radius(radius_m, self.lat);
        // The centre is a valid position, so encoding cannot fail.
        let at = |step| encode_wgs84(self.lon, self.lat, step).unwrap_or(Cell { bits: 0, step });
        let mut centre = at(step);
        let mut around = neighbours(centre);
        // When the shape reaches past the neighbouring cells, use cells
        // twice as big.
        let [north, south, east, west, ..] = around.map(decode);
        let too_small = north.lat.max < max_lat
            || south.lat.min > min_lat
            || east.lon.max < max_lon
            || west.lon.min > min_lon;
        if step > 1 && too_small {
            step -= 1;
            centre = at(step);
            around = neighbours(centre);
        }
        let mut cells = [None; 9];
        cells[0] = Some(centre);
        for (slot, n) in cells[1..].iter_mut().zip(around) {
            *slot = Some(n);
        }
        if step >= 2 {
            let area = decode(centre);
            // Indexes into `cells`: N=1 S=2 E=3 W=4 NE=5 NW=6 SE=7 SW=8.
            let mut drop = |which: [usize; 3]| which.iter().for_each(|&i| cells[i] = None);
            if area.lat.min < min_lat {
                drop([2, 8, 7]);
            }
            if area.lat.max > max_lat {
                drop([1, 5, 6]);
            }
            if area.lon.min < min_lon {
                drop([4, 8, 6]);
            }
            if area.lon.max > max_lon {
                drop([3, 7, 5]);
            }
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_redis() {
        // GEOADD k 10 10 a ; ZSCORE k a (Redis 7.2)
        let cell = encode_wgs84(10.0, 10.0, STEP_MAX).unwrap();
        assert_eq!(cell.score_min(), 3386427883058495);
        let (lon, lat) = position(3386427883058495.0);
        assert_eq!(format!("{lon:.17}"), "10.00000208616256714");
        assert_eq!(format!("{lat:.17}"), "10.00000092823272979");
        assert_eq!(&standard_geohash(3386427883058495.0), b"s1z0gs3y0z0");
    }

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(gather(spread(v)), v);
        }
    }

    #[test]
    fn neighbours_wrap_around() {
        let cell = Cell { bits: 0, step: 2 };
        let [north, south, east, west, ..] = neighbours(cell);
        assert_eq!(gather(north.bits), 1);
        assert_eq!(gather(south.bits), 3);
        assert_eq!(gather(east.bits >> 1), 1);
        assert_eq!(gather(west.bits >> 1), 3);
    }

    #[test]
    fn odd_scores_convert_like_x86() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NAN), 1 << 63);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
    }

    #[test]
    fn steps() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert_eq!(steps_for_radius(f64::INFINITY, 0.0), 1);
        assert_eq!(steps_for_radius(1000.0, 0.0), 14);
        assert_eq!(steps_for_radius(1000.0, 70.0), 13);
        assert_eq!(steps_for_radius(1000.0, -85.0), 12);
    }
}
