//! Geo commands, differentially against redis-server in RESP2 and RESP3:
//! every command and option, the errors and their order, WRONGTYPE,
//! STORE/STOREDIST/GEOSEARCHSTORE results and keyspace events, positions
//! at the limits (poles of the Mercator range, the antimeridian), ties in
//! distance, and a randomized comparison of searches over random points.
//!
//! Replies are compared byte for byte everywhere, also without ASC/DESC:
//! Redis then returns the points in the order it walks the cells, and
//! Lodestone walks them the same way. The one exception is reading back
//! STOREDIST results: their scores are fractional, which Redis 7.0 (the
//! oracle) prints with `%.17g` and 7.2 with the shortest round-trip
//! digits, so those are compared as numbers.
//!
//! Scripts run with listpack sources and again with
//! `zset-max-listpack-entries 1` (skiplists), so both encodings are walked.

mod common;

use common::{
    assert_same_reply, differential_script, keyevents, on_both, start_lodestone, start_redis,
    Compare, Conn,
};
use lodestone_protocol::frame::Frame;

/// Runs `script` differentially with listpacks, then with skiplists.
fn both_encodings(script: &str) {
    differential_script(script);
    differential_script(&format!("CONFIG SET zset-max-listpack-entries 1\n{script}"));
}

const SICILY: &str =
    "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2";

#[test]
fn add_pos_hash_dist() {
    both_encodings(&format!(
        r#"
        {SICILY}
        ZRANGE Sicily 0 -1 WITHSCORES
        GEOADD Sicily NX 13.361389 38.115556 Palermo 2 2 nxnew
        GEOADD Sicily XX 1 1 Palermo 3 3 xxnew
        GEOADD Sicily XX CH 1 1 Palermo 13.361389 38.115556 Palermo
        GEOADD Sicily CH 13.361389 38.115556 Palermo 4 4 chnew
        GEOADD Sicily CH XX 4 4 chnew
        GEOADD Sicily ch nx 5 5 chnew
        GEOADD Sicily 1 1 100
        GEOADD newkey XX 1 1 a
        EXISTS newkey
        ZRANGE Sicily 0 -1 WITHSCORES
        GEOPOS Sicily Palermo Catania missing 100 edge1
        GEOPOS Sicily
        GEOPOS nokey a b
        GEOHASH Sicily Palermo Catania missing 100
        GEOHASH Sicily
        GEOHASH nokey a
        GEODIST Sicily Palermo Catania
        GEODIST Sicily Palermo Catania m
        GEODIST Sicily Palermo Catania KM
        GEODIST Sicily Palermo Catania mi
        GEODIST Sicily Palermo Catania ft
        GEODIST Sicily Palermo Palermo
        GEODIST Sicily Palermo missing
        GEODIST Sicily missing Palermo km
        GEODIST nokey a b
        GEOADD limits 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw 0 0 origin -0 -0 negzero
        ZRANGE limits 0 -1 WITHSCORES
        GEOPOS limits ne sw se nw origin negzero
        GEOHASH limits ne sw se nw origin negzero
        GEODIST limits ne sw km
        GEODIST limits ne nw km
        GEODIST limits se sw
        GEODIST limits origin negzero
        ZADD odd -5 neg 1e300 huge 3.5 frac 0 zero 4503599627370496 twoto52
        GEOPOS odd neg huge frac zero twoto52
        GEOHASH odd neg huge frac zero twoto52
        GEODIST odd neg huge
        GEODIST odd frac zero mi
        "#
    ));
}

#[test]
fn search_forms_and_options() {
    both_encodings(&format!(
        r#"
        {SICILY}
        GEOADD Sicily 14 37.5 mid 15 37.2 south 13.5 37.9 west
        GEORADIUS Sicily 15 37 200 km
        GEORADIUS Sicily 15 37 200 km ASC
        GEORADIUS Sicily 15 37 200 km DESC
        GEORADIUS Sicily 15 37 200 km WITHDIST
        GEORADIUS Sicily 15 37 200 km WITHCOORD
        GEORADIUS Sicily 15 37 200 km WITHHASH
        GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC
        GEORADIUS Sicily 15 37 200 km withhash withcoord withdist desc
        GEORADIUS Sicily 15 37 200 km COUNT 2
        GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
        GEORADIUS Sicily 15 37 200 km COUNT 2 ANY
        GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC
        GEORADIUS Sicily 15 37 200 km COUNT 100
        GEORADIUS Sicily 15 37 200 m
        GEORADIUS Sicily 15 37 200000 m
        GEORADIUS Sicily 15 37 124.27 mi WITHDIST
        GEORADIUS Sicily 15 37 656168 ft WITHDIST
        GEORADIUS Sicily 15 37 0 km
        GEORADIUS Sicily 15 37 inf km COUNT 3 WITHDIST
        GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC
        GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
        GEORADIUSBYMEMBER Sicily Palermo 200 km COUNT 3 DESC WITHCOORD
        GEORADIUSBYMEMBER Sicily Palermo 0 km
        GEORADIUSBYMEMBER_RO Sicily Catania 100 km WITHDIST WITHHASH
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km ASC WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHCOORD
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km ASC WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km ASC WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 km WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 248.5 248.5 mi COUNT 2 WITHHASH
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 1 ANY
        GEOSEARCH Sicily BYRADIUS 200 km FROMMEMBER Palermo WITHDIST
        GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 10 km BYRADIUS 100 km
        GEOSEARCH Sicily FROMLONLAT 1 1 FROMLONLAT 15 37 BYBOX 1 1 km BYBOX 400 400 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC DESC
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 5 COUNT 2
        GEOSEARCH Sicily FROMLONLAT 0 0 BYRADIUS 1 km
        GEOSEARCH nokey FROMMEMBER Palermo BYRADIUS 200 km
        GEOSEARCH nokey FROMLONLAT 15 37 BYBOX 1 1 km
        GEORADIUS nokey 15 37 200 km
        GEORADIUSBYMEMBER nokey Palermo 200 km
        GEORADIUSBYMEMBER nokey Palermo notanumber badunit
        "#
    ));
}

#[test]
fn store_forms() {
    both_encodings(&format!(
        r#"
        {SICILY}
        GEORADIUS Sicily 15 37 200 km STORE dst
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        GEORADIUS Sicily 15 37 200 km STOREDIST dst2 STORE dst3
        ZRANGE dst3 0 -1 WITHSCORES
        EXISTS dst2
        GEORADIUS Sicily 15 37 200 km COUNT 1 STORE dst
        ZRANGE dst 0 -1 WITHSCORES
        GEORADIUSBYMEMBER Sicily Palermo 500 km DESC COUNT 2 STORE dst
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2 ASC
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMMEMBER Catania BYRADIUS 1 km
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 km
        EXISTS dst
        SET dst x
        GEORADIUS Sicily 0 0 1 km STORE dst
        EXISTS dst
        SET dst x
        GEOSEARCHSTORE dst nokey FROMLONLAT 0 0 BYRADIUS 1 km
        EXISTS dst
        SET dst x
        GEORADIUS nokey 0 0 1 km STORE dst
        EXISTS dst
        SET dst x
        GEORADIUSBYMEMBER nokey m 1 km STORE dst
        EXISTS dst
        GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        ZRANGE Sicily 0 -1 WITHSCORES
        GEOSEARCHSTORE big Sicily FROMLONLAT 15 37 BYRADIUS 2000 km STOREDIST
        ZRANGE big 0 -1
        ZCOUNT big 0 60
        ZCOUNT big 60 200
        ZCOUNT big 200 inf
        GEORADIUS Sicily 15 37 200 km STOREDIST big
        ZRANGE big 0 -1
        ZCOUNT big 0 60
        ZCOUNT big 60 200
        "#
    ));
}

#[test]
fn errors_and_their_order() {
    both_encodings(&format!(
        r#"
        {SICILY}
        SET str x
        GEOADD Sicily 181 0 bad
        GEOADD Sicily -180.0001 0 bad
        GEOADD Sicily 0 85.06 bad
        GEOADD Sicily 0 -85.06 bad
        GEOADD Sicily 1e300 -1e300 bad
        GEOADD Sicily inf 0 bad
        GEOADD Sicily 0 -inf bad
        GEOADD Sicily 1 1 good 181 0 bad
        EXISTS good
        GEOADD Sicily abc 0 bad
        GEOADD Sicily 0 nan bad
        GEOADD Sicily 1 1
        GEOADD Sicily 1 1 a 2
        GEOADD Sicily NX XX 1 1 a
        GEOADD Sicily GT 1 1 a
        GEOADD Sicily CH CH CH
        GEOADD Sicily NX NX NX
        GEOADD
        GEOADD Sicily 1 1
        GEOADD str 1 1 a
        GEOADD str 181 1 a
        GEOPOS str a
        GEOHASH str a
        GEODIST str a b
        GEODIST str a b km
        GEODIST str a b parsec
        GEODIST Sicily a b km extra
        GEODIST Sicily Palermo Catania parsec
        GEODIST Sicily Palermo
        GEORADIUS str 181 0 1 km
        GEORADIUS Sicily 181 0 1 km
        GEORADIUS Sicily 15 37 -1 km
        GEORADIUS Sicily 15 37 abc km
        GEORADIUS Sicily 15 37 1 parsec
        GEORADIUS Sicily 15 37 1 km COUNT 0
        GEORADIUS Sicily 15 37 1 km COUNT -1
        GEORADIUS Sicily 15 37 1 km COUNT abc
        GEORADIUS Sicily 15 37 1 km COUNT
        GEORADIUS Sicily 15 37 1 km ANY
        GEORADIUS Sicily 15 37 1 km ANY COUNT 0
        GEORADIUS Sicily 15 37 1 km STORE
        GEORADIUS Sicily 15 37 1 km STORE dst WITHDIST
        GEORADIUS Sicily 15 37 1 km WITHHASH STOREDIST dst
        GEORADIUS Sicily 15 37 1 km FROMLONLAT 1 1
        GEORADIUS Sicily 15 37 1 km BYRADIUS 1 km
        GEORADIUS Sicily 15 37 1 km unknown
        GEORADIUS_RO Sicily 15 37 1 km STORE dst
        GEORADIUS_RO Sicily 15 37 1 km STOREDIST dst
        GEORADIUSBYMEMBER Sicily missing 1 km
        GEORADIUSBYMEMBER Sicily missing abc km
        GEORADIUSBYMEMBER Sicily Palermo abc km
        GEORADIUSBYMEMBER Sicily Palermo 1 parsec
        GEORADIUSBYMEMBER str Palermo 1 km
        GEORADIUSBYMEMBER_RO Sicily Palermo 1 km STORE dst
        GEORADIUSBYMEMBER Sicily Palermo 1 km STORE dst WITHCOORD
        GEOSEARCH str FROMMEMBER a BYRADIUS 1 km
        GEOSEARCH Sicily FROMMEMBER missing BYRADIUS 1 km
        GEOSEARCH Sicily BYRADIUS 1 km
        GEOSEARCH Sicily FROMMEMBER Palermo COUNT 1
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km ANY
        geosearch Sicily BYRADIUS 1 km WITHDIST
        GeoSearch Sicily FROMLONLAT 1 1 WITHDIST ASC
        GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km BYBOX 1 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 1 km BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 1 BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 1
        GEOSEARCH Sicily FROMLONLAT 181 1 BYBOX 1 1 km
        GEOSEARCH Sicily FROMLONLAT 1 86 BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT abc 1 BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS -1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS x km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 parsec
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX x 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 x km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX -1 1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 -1 km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 1 parsec
        GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX -1 x km
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km COUNT -5 ANY
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km STORE dst
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km STOREDIST
        GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0 FROMLONLAT 181 0
        GEOSEARCH Sicily FROMLONLAT 181 0 BYRADIUS 1 km COUNT 0
        GEOSEARCH nokey FROMMEMBER a BYRADIUS 1 km ANY
        GEOSEARCH nokey FROMMEMBER a FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCH nokey FROMLONLAT 181 1 BYRADIUS 1 km
        GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCHSTORE dst Sicily FROMLONLAT 1 1 BYRADIUS 1 km WITHDIST
        GEOSEARCHSTORE dst Sicily FROMLONLAT 1 1 BYRADIUS 1 km STORE other
        GEOSEARCHSTORE dst Sicily BYRADIUS 1 km
        GEOSEARCHSTORE dst Sicily FROMLONLAT 1 1
        GEOSEARCHSTORE dst Sicily FROMLONLAT 1 1 BYRADIUS 1 km ANY
        GEOSEARCHSTORE dst nokey FROMLONLAT 1 1 BYRADIUS 1 km WITHHASH
        "#
    ));
}

#[test]
fn equal_distances_keep_redis_order() {
    // Many members on a few positions: ties everywhere, so the order of a
    // full sort (stable) and of a partial one (COUNT) must be Redis's own.
    let mut add = String::from("GEOADD ties");
    let spots = [
        "0.1 0.1",
        "-0.1 -0.1",
        "0.1 -0.1",
        "-0.1 0.1",
        "0 0.2",
        "0.3 0",
    ];
    for i in 0..300 {
        add.push_str(&format!(" {} m{i}", spots[(i * 7 + i / 13) % spots.len()]));
    }
    let mut script = format!("{add}\n");
    for count in [1, 2, 5, 6, 7, 8, 9, 40, 41, 42, 100, 299, 300, 301] {
        for order in ["ASC", "DESC"] {
            script.push_str(&format!(
                "GEOSEARCH ties FROMLONLAT 0 0 BYRADIUS 100 km {order} COUNT {count} WITHDIST\n"
            ));
            script.push_str(&format!(
                "GEORADIUS ties 0 0 100 km {order} COUNT {count}\n"
            ));
        }
        script.push_str(&format!("GEORADIUS ties 0 0 100 km COUNT {count}\n"));
    }
    script.push_str("GEOSEARCH ties FROMLONLAT 0 0 BYRADIUS 100 km ASC\n");
    script.push_str("GEOSEARCH ties FROMLONLAT 0 0 BYRADIUS 100 km DESC\n");
    script.push_str("GEOSEARCH ties FROMLONLAT 0 0 BYRADIUS 100 km\n");
    both_encodings(&script);
}

/// The members and scores stored at `key`, scores read as numbers.
fn stored(conn: &mut Conn, key: &str) -> Vec<String> {
    let Frame::Array(items) = conn.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]) else {
        panic!("ZRANGE failed");
    };
    items
        .chunks(2)
        .map(|pair| match pair {
            [Frame::Bulk(m), Frame::Bulk(s)] => {
                let score: f64 = String::from_utf8_lossy(s).parse().expect("score");
                format!("{}={score:?}", String::from_utf8_lossy(m))
            }
            other => panic!("unexpected pair {other:?}"),
        })
        .collect()
}

#[test]
fn storedist_scores() {
    for entries in ["128", "1"] {
        on_both(|port| {
            let mut c = Conn::connect(port);
            c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", entries]);
            c.cmd(&[
                "GEOADD",
                "Sicily",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
                "14",
                "37.5",
                "mid",
            ]);
            let mut out = Vec::new();
            let searches: [&[&str]; 4] = [
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STOREDIST",
                    "d",
                ],
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "mi",
                    "COUNT",
                    "2",
                    "STOREDIST",
                    "d",
                ],
                &[
                    "GEORADIUSBYMEMBER",
                    "Sicily",
                    "Palermo",
                    "900000",
                    "ft",
                    "STOREDIST",
                    "d",
                ],
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYBOX",
                    "500",
                    "500",
                    "km",
                    "DESC",
                    "STOREDIST",
                ],
            ];
            for search in searches {
                out.push(format!("{:?}", c.cmd(search)));
                out.extend(stored(&mut c, "d"));
                out.push(format!("{:?}", c.cmd(&["OBJECT", "ENCODING", "d"])));
            }
            out
        });
    }
}

#[test]
fn keyspace_events() {
    let commands: &[&[&str]] = &[
        &["GEOADD", "g", "1", "1", "a", "2", "2", "b"],
        &["GEOADD", "g", "1", "1", "a"],
        &["GEOADD", "g", "XX", "3", "3", "c"],
        &["GEOADD", "g", "XX", "3", "3", "a"],
        &["GEORADIUS", "g", "1", "1", "500", "km", "STORE", "r"],
        &["GEORADIUS", "g", "1", "1", "500", "km", "STOREDIST", "r"],
        &["GEORADIUSBYMEMBER", "g", "a", "500", "km", "STORE", "r2"],
        &[
            "GEOSEARCHSTORE",
            "s",
            "g",
            "FROMMEMBER",
            "a",
            "BYRADIUS",
            "500",
            "km",
        ],
        &[
            "GEOSEARCHSTORE",
            "s",
            "g",
            "FROMLONLAT",
            "-50",
            "-50",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["GEORADIUS", "g", "-50", "-50", "1", "km", "STORE", "r"],
        &["GEORADIUS", "nokey", "-50", "-50", "1", "km", "STORE", "r2"],
        &[
            "GEOSEARCHSTORE",
            "s",
            "g",
            "FROMLONLAT",
            "-50",
            "-50",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "500", "km"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEA", commands);
    assert!(ours.contains(&("geosearchstore".into(), "s".into())));
    assert!(ours.contains(&("georadiusstore".into(), "r".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEA", commands));
}

#[test]
fn dirty_counts_and_types() {
    on_both(|port| {
        let mut c = Conn::connect(port);
        let dirty = |c: &mut Conn| {
            let Frame::Bulk(info) = c.cmd(&["INFO", "persistence"]) else {
                panic!("INFO failed");
            };
            String::from_utf8_lossy(&info)
                .lines()
                .find(|l| l.starts_with("rdb_changes_since_last_save:"))
                .unwrap_or_default()
                .to_string()
        };
        let mut out = Vec::new();
        let steps: [&[&str]; 6] = [
            &["GEOADD", "g", "1", "1", "a", "2", "2", "b", "3", "3", "c"],
            &["GEOADD", "g", "CH", "1", "1", "a", "2", "2.5", "b"],
            &["GEORADIUS", "g", "2", "2", "500", "km", "STORE", "r"],
            &[
                "GEOSEARCHSTORE",
                "r",
                "g",
                "FROMLONLAT",
                "50",
                "50",
                "BYRADIUS",
                "1",
                "km",
            ],
            &[
                "GEOSEARCHSTORE",
                "r",
                "g",
                "FROMLONLAT",
                "50",
                "50",
                "BYRADIUS",
                "1",
                "km",
            ],
            &["TYPE", "g"],
        ];
        for step in steps {
            out.push(format!("{:?}", c.cmd(step)));
            out.push(dirty(&mut c));
        }
        out
    });
}

/// A small deterministic generator for the randomized comparison.
struct Draw(fastrand::Rng);

impl Draw {
    /// A longitude: anywhere, often on or near the antimeridian.
    fn lon(&mut self) -> f64 {
        match self.0.u32(0..10) {
            0 => [180.0, -180.0][self.0.usize(0..2)],
            1 => (179.0 + self.0.f64()) * [1.0, -1.0][self.0.usize(0..2)],
            _ => self.0.f64() * 360.0 - 180.0,
        }
    }

    /// A latitude: anywhere, often at or near the Mercator limits.
    fn lat(&mut self) -> f64 {
        const MAX: f64 = 85.05112878;
        match self.0.u32(0..10) {
            0 => [MAX, -MAX][self.0.usize(0..2)],
            1 => (MAX - 2.0 * self.0.f64()) * [1.0, -1.0][self.0.usize(0..2)],
            _ => self.0.f64() * 2.0 * MAX - MAX,
        }
    }

    /// `v` printed with a random number of decimals (clamped into range).
    fn text(&mut self, v: f64, limit: f64) -> String {
        let decimals = [1, 3, 6, 10][self.0.usize(0..4)];
        let t = format!("{v:.decimals$}");
        match t.parse::<f64>() {
            Ok(x) if x.abs() <= limit => t,
            _ => format!("{}", limit.copysign(v)),
        }
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.0.usize(0..options.len())]
    }
}

#[test]
fn random_points_and_searches() {
    const LAT_MAX: f64 = 85.05112878;
    for resp3 in [false, true] {
        let Some(common::Pair {
            mut ours,
            mut oracle,
            lodestone: _lodestone,
            redis: _redis,
        }) = common::start_pair(&[], resp3)
        else {
            return;
        };
        let mut d = Draw(fastrand::Rng::with_seed(0x9e0 + u64::from(resp3)));
        let mut run = |args: Vec<String>, n: usize| {
            let args: Vec<Vec<u8>> = args.into_iter().map(String::into_bytes).collect();
            let what = format!("round {n}: {}", String::from_utf8_lossy(&args.join(&b' ')));
            assert_same_reply(&mut ours, &mut oracle, Compare::Exact, &args, &what);
        };
        for round in 0..24 {
            run(vec!["FLUSHALL".into()], round);
            let points = [5, 60, 200, 700][round % 4];
            let mut add = vec!["GEOADD".to_string(), "k".into()];
            for i in 0..points {
                if i > 0 && d.0.u32(0..20) == 0 {
                    // A second member on the previous position: equal distances.
                    let (lon, lat) = (add[add.len() - 3].clone(), add[add.len() - 2].clone());
                    add.extend([lon, lat, format!("dup{i}")]);
                } else {
                    let (lon, lat) = (d.lon(), d.lat());
                    let (lon, lat) = (d.text(lon, 180.0), d.text(lat, LAT_MAX));
                    add.extend([lon, lat, format!("m{i}")]);
                }
            }
            run(add, round);
            for _ in 0..40 {
                let unit = d.pick(&["m", "km", "mi", "ft"]);
                let meters = match unit {
                    "km" => 1000.0,
                    "mi" => 1609.34,
                    "ft" => 0.3048,
                    _ => 1.0,
                };
                let size = 10f64.powf(d.0.f64() * 7.3) / meters;
                let (clon, clat) = (d.lon(), d.lat());
                let (clon, clat) = (d.text(clon, 180.0), d.text(clat, LAT_MAX));
                let from: Vec<String> = if d.0.u32(0..4) == 0 {
                    vec!["FROMMEMBER".into(), format!("m{}", d.0.usize(0..points))]
                } else {
                    vec!["FROMLONLAT".into(), clon.clone(), clat.clone()]
                };
                let radius = d.text(size, f64::MAX);
                let by: Vec<String> = if d.0.bool() {
                    vec!["BYRADIUS".into(), radius.clone(), unit.into()]
                } else {
                    let aspect = 0.2 + 4.8 * d.0.f64();
                    let height = d.text(size * aspect, f64::MAX);
                    vec!["BYBOX".into(), radius.clone(), height, unit.into()]
                };
                let mut opts: Vec<String> = Vec::new();
                if d.0.bool() {
                    opts.push(d.pick(&["ASC", "DESC"]).into());
                }
                if d.0.u32(0..5) < 2 {
                    opts.push("COUNT".into());
                    opts.push(d.pick(&["1", "2", "3", "5", "10", "50", "500"]).into());
                    if d.0.u32(0..3) == 0 {
                        opts.push("ANY".into());
                    }
                }
                let withs: Vec<String> = ["WITHDIST", "WITHCOORD", "WITHHASH"]
                    .into_iter()
                    .filter(|_| d.0.u32(0..5) < 2)
                    .map(String::from)
                    .collect();
                let mut search = vec!["GEOSEARCH".to_string(), "k".into()];
                search.extend(from.iter().cloned());
                search.extend(by.iter().cloned());
                search.extend(opts.iter().cloned());
                search.extend(withs.iter().cloned());
                run(search, round);
                if by[0] == "BYRADIUS" {
                    let mut radius_cmd = vec!["GEORADIUS".to_string(), "k".into(), clon, clat];
                    radius_cmd.extend([radius, unit.to_string()]);
                    radius_cmd.extend(opts.iter().cloned());
                    radius_cmd.extend(withs.iter().cloned());
                    run(radius_cmd, round);
                }
                if d.0.u32(0..5) == 0 {
                    let mut store = vec!["GEOSEARCHSTORE".to_string(), "dst".into(), "k".into()];
                    store.extend(from);
                    store.extend(by);
                    store.extend(opts);
                    run(store, round);
                    run(
                        vec!["ZRANGE".into(), "dst".into(), "0".into(), "-1".into()],
                        round,
                    );
                }
            }
            for _ in 0..5 {
                let a = format!("m{}", d.0.usize(0..points));
                let b = format!("m{}", d.0.usize(0..points));
                let unit = d.pick(&["m", "km", "mi", "ft"]).to_string();
                run(
                    vec!["GEODIST".into(), "k".into(), a.clone(), b.clone(), unit],
                    round,
                );
                run(
                    vec!["GEOPOS".into(), "k".into(), a.clone(), b.clone()],
                    round,
                );
                run(vec!["GEOHASH".into(), "k".into(), a, b], round);
            }
        }
    }
}
