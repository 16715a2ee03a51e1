//! The Lua libraries Redis embeds (`cjson`, `cmsgpack`, `bit`, `struct`),
//! differentially against redis-server: every EVAL's reply, errors
//! included, must match byte for byte. The libraries are the same in
//! Redis 7.0 (the oracle installed here) and 7.2.
//!
//! Script syntax (see `common::parse_script_line`): one command per line
//! in redis-cli quoting; Lua long strings (`[[...]]`) keep JSON readable.

mod common;

use common::differential_script;

#[test]
fn cjson_encodes_values_and_tables() {
    differential_script(
        r#"
        EVAL "return cjson.encode({1,2,3,{a=1}})" 0
        EVAL "return cjson.encode({})" 0
        EVAL "return cjson.encode({{}, {{}}})" 0
        EVAL "return cjson.encode('plain')" 0
        EVAL "return cjson.encode(nil)" 0
        EVAL "return cjson.encode(true)" 0
        EVAL "return cjson.encode({false, true})" 0
        EVAL "return cjson.encode(cjson.null)" 0
        EVAL "return cjson.encode({cjson.null, 1})" 0
        EVAL "return cjson.encode({a={b={c={1,2}}}})" 0
        EVAL "return cjson.encode({[1]='one', one='one'})" 0
        EVAL "return cjson.encode({[1.5]='x'})" 0
        EVAL "return cjson.encode({[-1]='x'})" 0
        EVAL "return cjson.encode({[0]='x'})" 0
        EVAL "return cjson.encode({[1e10]='x'})" 0
        EVAL "return cjson.encode({[2^31]='x', [1]='y'})" 0
        EVAL "return cjson.encode('q\"b\\\\s/\b\f\n\r\t')" 0
        EVAL "return cjson.encode(string.char(0, 1, 31, 127, 128, 255))" 0
        EVAL "return cjson.encode('\xc3\xa9\xe2\x82\xac')" 0
        EVAL "local t = {} for i = 1, 100 do t[i] = i * 1.5 end return cjson.encode(t)" 0
        EVAL "local t = {} for i = 1, 50 do t['k' .. i] = i end return cjson.encode(t)" 0
        EVAL "return cjson.encode(function() end)" 0
        EVAL "return cjson.encode({f = function() end})" 0
        EVAL "return cjson.encode(coroutine.create(function() end))" 0
        EVAL "return cjson.encode({[true] = 1})" 0
        EVAL "return cjson.encode({[{}] = 1})" 0
        EVAL "return cjson.encode()" 0
        EVAL "return cjson.encode(1, 2)" 0
        EVAL "local e = cjson.encode return e(1, 2)" 0
        EVAL "return {pcall(cjson.encode, 1, 2)}" 0
        EVAL "return {pcall(cjson.encode, {[true] = 1})}" 0
        EVAL "return {pcall(cjson.encode, function() end)}" 0
        "#,
    );
}

#[test]
fn cjson_formats_numbers() {
    differential_script(
        r#"
        EVAL "return cjson.encode({1e300, 0.1, -0.0, 2^53, 1/3, -1/3})" 0
        EVAL "return cjson.encode(-0.0)" 0
        EVAL "return cjson.encode({1e-300, 5e-324, -1e-20, {x=1e-17}})" 0
        EVAL "return cjson.encode(1e-300)" 0
        EVAL "return cjson.encode({0, -0})" 0
        EVAL "return cjson.encode({1e14, 1e15, 123456789012345, 12345678901234, 1e-4, 1e-5})" 0
        EVAL "return cjson.encode({2^63, -2^63, 2^64, 9007199254740993, 1e308 * 10})" 0
        EVAL "return cjson.encode({5e-324, 2.2250738585072014e-308, 1.7976931348623157e308})" 0
        EVAL "return cjson.encode({100, 1000000, 0.5, 0.25, 3.14159265358979})" 0
        EVAL "return cjson.encode(1/0)" 0
        EVAL "return cjson.encode(-1/0)" 0
        EVAL "return cjson.encode(0/0)" 0
        EVAL "return cjson.encode({[1/0] = 1})" 0
        EVAL "return cjson.encode_invalid_numbers()" 0
        EVAL "return cjson.encode_invalid_numbers(true)" 0
        EVAL "return cjson.encode({1/0, -1/0, 0/0})" 0
        EVAL "return cjson.encode({[1/0] = 1})" 0
        EVAL "return cjson.encode_invalid_numbers('null')" 0
        EVAL "return cjson.encode({1/0, -1/0, 0/0, 2})" 0
        EVAL "return cjson.encode({[1/0] = 1})" 0
        EVAL "return cjson.encode_invalid_numbers('off')" 0
        EVAL "return cjson.encode_invalid_numbers('maybe')" 0
        EVAL "return cjson.encode_invalid_numbers(1)" 0
        EVAL "return cjson.encode_invalid_numbers(false)" 0
        EVAL "return cjson.encode_number_precision()" 0
        EVAL "return cjson.encode_number_precision(3)" 0
        EVAL "return cjson.encode({3.14159, 1234.5, 0.000123456, 99999, 1e100})" 0
        EVAL "return cjson.encode_number_precision(1)" 0
        EVAL "return cjson.encode({3.14159, 1234.5, 0.95, 99999})" 0
        EVAL "return cjson.encode_number_precision(0)" 0
        EVAL "return cjson.encode_number_precision(15)" 0
        EVAL "return cjson.encode_number_precision('x')" 0
        EVAL "return cjson.encode_number_precision(14)" 0
        "#,
    );
}

#[test]
fn cjson_sparse_arrays_and_depth() {
    differential_script(
        r#"
        EVAL "return cjson.encode({[1]=1, [3]=3})" 0
        EVAL "return cjson.encode({[10]=1})" 0
        EVAL "return cjson.encode({[11]=1})" 0
        EVAL "return cjson.encode({[20]=1, [1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9})" 0
        EVAL "return cjson.encode({[21]=1, [1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10})" 0
        EVAL "return {cjson.encode_sparse_array()}" 0
        EVAL "return {cjson.encode_sparse_array(true)}" 0
        EVAL "return cjson.encode({[11]=1})" 0
        EVAL "return cjson.encode({[1]=1, [30]=2, x=3})" 0
        EVAL "return {cjson.encode_sparse_array(false, 0)}" 0
        EVAL "return cjson.encode({[1]=1, [30]=2})" 0
        EVAL "return {cjson.encode_sparse_array(nil, 3, 1)}" 0
        EVAL "return cjson.encode({[1]=1, [4]=2})" 0
        EVAL "return {cjson.encode_sparse_array('on', -1)}" 0
        EVAL "return {cjson.encode_sparse_array(false, 2, -5)}" 0
        EVAL "return {cjson.encode_sparse_array('off', 2, 10)}" 0
        EVAL "return {cjson.encode_sparse_array(1, 2, 3, 4)}" 0
        EVAL "return {cjson.encode_sparse_array('maybe')}" 0
        EVAL "return {cjson.encode_sparse_array(false, 2, 10)}" 0
        EVAL "local t = {} t[1] = t return cjson.encode(t)" 0
        EVAL "local t = {} t.a = t return cjson.encode(t)" 0
        EVAL "local t = {} for i = 1, 999 do t = {t} end return #cjson.encode(t)" 0
        EVAL "local t = {} for i = 1, 1000 do t = {t} end return cjson.encode(t)" 0
        EVAL "return cjson.encode_max_depth()" 0
        EVAL "return cjson.encode_max_depth(2)" 0
        EVAL "return cjson.encode({{1}})" 0
        EVAL "return cjson.encode({{{1}}})" 0
        EVAL "return cjson.encode({a={b={}}})" 0
        EVAL "return cjson.encode_max_depth(0)" 0
        EVAL "return cjson.encode_max_depth(100000)" 0
        EVAL "local t = {} t[1] = t return cjson.encode(t)" 0
        EVAL "local t = {} t.a = t return cjson.encode(t)" 0
        EVAL "local t = {} t.a = {t} return cjson.encode(t)" 0
        EVAL "return cjson.encode_max_depth(1000)" 0
        EVAL "return cjson.decode_max_depth()" 0
        EVAL "return cjson.decode('[[[[1]]]]')[1][1][1][1]" 0
        EVAL "return cjson.decode_max_depth(3)" 0
        EVAL "return cjson.decode('[[[1]]]')[1][1][1]" 0
        EVAL "return cjson.decode('[[[[1]]]]')" 0
        EVAL "return cjson.decode('{\"a\":{\"b\":{\"c\":{}}}}')" 0
        EVAL "return cjson.decode_max_depth(100000)" 0
        EVAL "return #cjson.decode(string.rep('[', 7000) .. string.rep(']', 7000))" 0
        EVAL "return cjson.decode(string.rep('[', 8000) .. string.rep(']', 8000))" 0
        EVAL "return cjson.decode(string.rep('{\"a\":', 4000) .. '1' .. string.rep('}', 4000))" 0
        EVAL "return cjson.decode(string.rep('[{\"a\":', 3000) .. '1' .. string.rep('}]', 3000))" 0
        EVAL "return cjson.decode(string.rep('[', 100000))" 0
        EVAL "return cjson.decode_max_depth(1000)" 0
        EVAL "return cjson.decode(string.rep('[', 100000))" 0
        "#,
    );
}

#[test]
fn cjson_decodes_json() {
    differential_script(
        r#"
        EVAL "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')" 0
        EVAL "local d = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return {d.keya, d.keyb}" 0
        EVAL "return cjson.decode('\"hello\"')" 0
        EVAL "return cjson.decode('  42  ')" 0
        EVAL "return tostring(cjson.decode('1.5'))" 0
        EVAL "return cjson.decode('true')" 0
        EVAL "return cjson.decode('false')" 0
        EVAL "return cjson.decode('null') == cjson.null" 0
        EVAL "return type(cjson.decode('null'))" 0
        EVAL "return tostring(cjson.null)" 0
        EVAL "local t = cjson.decode('[1, null, 3]') return {#t, t[2] == cjson.null}" 0
        EVAL "return cjson.decode('[1, \"two\", [3], {\"four\": 4}]')[4].four" 0
        EVAL "return cjson.decode('{}')" 0
        EVAL "return cjson.decode('[]')" 0
        EVAL "return cjson.encode(cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}'))" 0
        EVAL "return cjson.decode([[\"\\u00e9\\u20ac\\ud83d\\ude00\\u0041\"]])" 0
        EVAL "return cjson.decode([[\"\\u0000x\"]])" 0
        EVAL "return cjson.decode([[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]])" 0
        EVAL "return cjson.decode([[\"\\ud83d\"]])" 0
        EVAL "return cjson.decode([[\"\\ude00\\ud83d\"]])" 0
        EVAL "return cjson.decode([[\"\\ud83d\\u0041\"]])" 0
        EVAL "return cjson.decode([[\"\\u12\"]])" 0
        EVAL "return cjson.decode([[\"\\u12G4\"]])" 0
        EVAL "return cjson.decode([[\"\\x\"]])" 0
        EVAL "return cjson.decode([[\"abc]])" 0
        EVAL "return cjson.decode('\"a\nb\"')" 0
        EVAL "return cjson.decode('[1,2')" 0
        EVAL "return cjson.decode('[1,2,]')" 0
        EVAL "return cjson.decode('[1 2]')" 0
        EVAL "return cjson.decode('{\"a\" 1}')" 0
        EVAL "return cjson.decode('{\"a\":1,}')" 0
        EVAL "return cjson.decode('{1:1}')" 0
        EVAL "return cjson.decode('{\"a\":1 \"b\":2}')" 0
        EVAL "return cjson.decode('')" 0
        EVAL "return cjson.decode('   ')" 0
        EVAL "return cjson.decode('[1] x')" 0
        EVAL "return cjson.decode('[1]]')" 0
        EVAL "return cjson.decode(']')" 0
        EVAL "return cjson.decode('tru')" 0
        EVAL "return cjson.decode('nul')" 0
        EVAL "return cjson.decode('trueish')" 0
        EVAL "return cjson.decode('xyz')" 0
        EVAL "return cjson.decode('@')" 0
        EVAL "return cjson.decode('-')" 0
        EVAL "return cjson.decode('--1')" 0
        EVAL "return cjson.decode('1.2.3')" 0
        EVAL "return cjson.decode('[1]\0garbage')" 0
        EVAL "return cjson.decode('\0[1]')" 0
        EVAL "return cjson.decode('[\0')" 0
        EVAL "return cjson.decode('1')" 0
        EVAL "return cjson.decode(1)" 0
        EVAL "return cjson.decode(-0.0)" 0
        EVAL "return cjson.decode({})" 0
        EVAL "return cjson.decode()" 0
        EVAL "return cjson.decode('1', '2')" 0
        EVAL "return {pcall(cjson.decode, '[')}" 0
        "#,
    );
}

#[test]
fn cjson_decodes_numbers_as_strtod_does() {
    differential_script(
        r#"
        EVAL "return tostring(cjson.decode('+5'))" 0
        EVAL "return tostring(cjson.decode('0x1F'))" 0
        EVAL "return tostring(cjson.decode('0X1p4'))" 0
        EVAL "return tostring(cjson.decode('0x.8'))" 0
        EVAL "return tostring(cjson.decode('-0x10'))" 0
        EVAL "return tostring(cjson.decode('007'))" 0
        EVAL "return tostring(cjson.decode('Infinity'))" 0
        EVAL "return tostring(cjson.decode('-Infinity'))" 0
        EVAL "return tostring(cjson.decode('-inf'))" 0
        EVAL "return tostring(cjson.decode('NaN') ~= cjson.decode('NaN'))" 0
        EVAL "return tostring(cjson.decode('nan(123)') ~= 0)" 0
        EVAL "return cjson.decode('infinit')" 0
        EVAL "return cjson.decode('nil')" 0
        EVAL "return tostring(cjson.decode('1e400'))" 0
        EVAL "return tostring(cjson.decode('-1e400'))" 0
        EVAL "return tostring(cjson.decode('1e-400'))" 0
        EVAL "return tostring(cjson.decode('123456789012345678901234567890'))" 0
        EVAL "return tostring(cjson.decode('1e'))" 0
        EVAL "return tostring(cjson.decode('1e+'))" 0
        EVAL "return cjson.decode('.5')" 0
        EVAL "return tostring(cjson.decode('-.5'))" 0
        EVAL "return tostring(cjson.decode('5.'))" 0
        EVAL "return tostring(cjson.decode('0.1e1'))" 0
        EVAL "return tostring(cjson.decode('2.2250738585072011e-308'))" 0
        EVAL "return cjson.decode_invalid_numbers()" 0
        EVAL "return cjson.decode_invalid_numbers(false)" 0
        EVAL "return cjson.decode('+5')" 0
        EVAL "return cjson.decode('0x1F')" 0
        EVAL "return cjson.decode('007')" 0
        EVAL "return cjson.decode('-Infinity')" 0
        EVAL "return cjson.decode('NaN')" 0
        EVAL "return cjson.decode('[1, nan]')" 0
        EVAL "return tostring(cjson.decode('0.5'))" 0
        EVAL "return tostring(cjson.decode('-0'))" 0
        EVAL "return cjson.decode_invalid_numbers('on')" 0
        EVAL "return cjson.decode_invalid_numbers('null')" 0
        EVAL "return cjson.decode_invalid_numbers(1, 2)" 0
        "#,
    );
}

#[test]
fn cjson_settings_module_fields_and_new() {
    differential_script(
        r#"
        EVAL "return cjson.encode_keep_buffer()" 0
        EVAL "return cjson.encode_keep_buffer(false)" 0
        EVAL "return cjson.encode({a=1})" 0
        EVAL "return cjson.encode_keep_buffer('on')" 0
        EVAL "return cjson.encode_keep_buffer(0)" 0
        EVAL "return {cjson._NAME, cjson._VERSION}" 0
        EVAL "return type(cjson.new)" 0
        EVAL "local c = cjson.new() c.encode_max_depth(1) return {pcall(c.encode, {{}})}" 0
        EVAL "return cjson.encode({{}})" 0
        EVAL "local c = cjson.new() return c.encode(c.decode('[1,{\"x\":true}]'))" 0
        EVAL "return type(cjson.safe)" 0
        EVAL "return type(cjson.array_mt)" 0
        EVAL "return type(cjson.decode_array_with_array_mt)" 0
        EVAL "cjson.encode = function() return 1 end" 0
        EVAL "cjson.newfield = 1" 0
        EVAL "return cjson.encode_max_depth(5, 6)" 0
        EVAL "return cjson.encode_max_depth('7')" 0
        EVAL "return cjson.encode_max_depth(2^32 + 7)" 0
        EVAL "return cjson.encode_max_depth({})" 0
        EVAL "return cjson.encode_max_depth(1000)" 0
        "#,
    );
}

#[test]
fn cmsgpack_packs_every_format() {
    differential_script(
        r#"
        EVAL "return cmsgpack.pack(0.1)" 0
        EVAL "return cmsgpack.pack(-1099511627776)" 0
        EVAL "return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)" 0
        EVAL "return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)" 0
        EVAL "return cmsgpack.pack(2^53, 2^63, -2^63, 2^64, -2^64)" 0
        EVAL "return cmsgpack.pack(0.5, 1.5, -0.0, 0.1, 1/3, 1e300, 1/0, -1/0, 0/0)" 0
        EVAL "return cmsgpack.pack(3.4028234663852886e38, 1e-45, 16777217.5)" 0
        EVAL "return cmsgpack.pack(true, false, nil, cjson.null, function() end)" 0
        EVAL "return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('x', 32))" 0
        EVAL "return cmsgpack.pack(string.rep('x', 255), string.rep('x', 256))" 0
        EVAL "return #cmsgpack.pack(string.rep('x', 65535))" 0
        EVAL "return string.sub(cmsgpack.pack(string.rep('x', 65536)), 1, 8)" 0
        EVAL "return cmsgpack.pack({})" 0
        EVAL "return cmsgpack.pack({1, 2, 3})" 0
        EVAL "return cmsgpack.pack({1, nil, 3})" 0
        EVAL "return cmsgpack.pack({[1]=1, [3]=3})" 0
        EVAL "return cmsgpack.pack({[2]=2})" 0
        EVAL "return cmsgpack.pack({[1.5]=1})" 0
        EVAL "return cmsgpack.pack({[2^31]=1})" 0
        EVAL "return cmsgpack.pack({a=1, b={c='d'}})" 0
        EVAL "return cmsgpack.pack({[true]=false, [{1}]=2})" 0
        EVAL "local t = {} for i = 1, 15 do t[i] = i end return cmsgpack.pack(t)" 0
        EVAL "local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)" 0
        EVAL "local t = {} for i = 1, 65535 do t[i] = 1 end return string.sub(cmsgpack.pack(t), 1, 6)" 0
        EVAL "local t = {} for i = 1, 65536 do t[i] = 1 end return string.sub(cmsgpack.pack(t), 1, 6)" 0
        EVAL "local t = {} for i = 1, 15 do t['k' .. i] = i end return cmsgpack.pack(t)" 0
        EVAL "local t = {} for i = 1, 16 do t['k' .. i] = i end return cmsgpack.pack(t)" 0
        EVAL "local t = {} for i = 1, 65536 do t['k' .. i] = 1 end return string.sub(cmsgpack.pack(t), 1, 5)" 0
        EVAL "local a = {x=nil, y=5} local b = {x=a} a['x'] = b return cmsgpack.pack(a)" 0
        EVAL "local t = {} t[1] = t return cmsgpack.pack(t)" 0
        EVAL "return cmsgpack.pack()" 0
        EVAL "return cmsgpack.pack({1e-300, -0.0, 1e-17, -1e-20})" 0
        EVAL "return cmsgpack.pack(1e-300, 5e-324)" 0
        EVAL "return {pcall(cmsgpack.pack)}" 0
        EVAL "local t = {} for i = 1, 4001 do t[i] = i end return cmsgpack.pack(unpack(t))" 0
        EVAL "local t = {} for i = 1, 4000 do t[i] = i end return #cmsgpack.pack(unpack(t))" 0
        EVAL "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}" 0
        EVAL "cmsgpack.pack = function() return 1 end" 0
        "#,
    );
}

#[test]
fn cmsgpack_unpacks_every_format() {
    differential_script(
        r#"
        EVAL "return {cmsgpack.unpack(cmsgpack.pack(0, 127, 255, 65535, 4294967295, -1, -32, -128, -32768, -2147483648))}" 0
        EVAL "local a, b = cmsgpack.unpack(cmsgpack.pack(2^40, -2^40)) return {tostring(a), tostring(b)}" 0
        EVAL "return tostring(cmsgpack.unpack('\xcf\xff\xff\xff\xff\xff\xff\xff\xff'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xcf\x80\x00\x00\x00\x00\x00\x00\x00'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xd3\x80\x00\x00\x00\x00\x00\x00\x00'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xca\x3f\xc0\x00\x00'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xd0\x80'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xd1\xff\x00'))" 0
        EVAL "return tostring(cmsgpack.unpack('\xd2\xff\xff\xff\x00'))" 0
        EVAL "return {cmsgpack.unpack('\xc3\xc2\xc0\x01')}" 0
        EVAL "return {cmsgpack.unpack('\xa3abc\xd9\x01x\xda\x00\x02xy\xdb\x00\x00\x00\x01z')}" 0
        EVAL "return cmsgpack.unpack('\x93\x01\x02\x03')" 0
        EVAL "return cmsgpack.unpack('\xdc\x00\x02\x01\x02')" 0
        EVAL "return cmsgpack.unpack('\xdd\x00\x00\x00\x02\x01\x02')" 0
        EVAL "local t = cmsgpack.unpack('\x82\xa1a\x01\xa1b\x02') return {t.a, t.b}" 0
        EVAL "local t = cmsgpack.unpack('\xde\x00\x01\xa1a\x01') return t.a" 0
        EVAL "local t = cmsgpack.unpack('\xdf\x00\x00\x00\x01\xa1a\x01') return t.a" 0
        EVAL "local t = cmsgpack.unpack('\x93\x01\xc0\x03') return {#t, t[3]}" 0
        EVAL "return cmsgpack.unpack('\x81\xc0\x01')" 0
        EVAL "return cmsgpack.unpack('\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01')" 0
        EVAL "return cmsgpack.unpack('')" 0
        EVAL "return cmsgpack.unpack('\xcd\x01')" 0
        EVAL "return cmsgpack.unpack('\xa5abc')" 0
        EVAL "return cmsgpack.unpack('\x93\x01')" 0
        EVAL "return cmsgpack.unpack('\xdd\xff\xff\xff\xff\x01')" 0
        EVAL "return cmsgpack.unpack('\xdb\xff\xff\xff\xffabc')" 0
        EVAL "return cmsgpack.unpack('\xc1')" 0
        EVAL "return cmsgpack.unpack('\xc4\x01x')" 0
        EVAL "return cmsgpack.unpack('\xd4\x01x')" 0
        EVAL "return cmsgpack.unpack('\x01\xc1')" 0
        EVAL "return cmsgpack.unpack(123)" 0
        EVAL "return cmsgpack.unpack(-0.0)" 0
        EVAL "return cmsgpack.unpack({})" 0
        EVAL "return cmsgpack.unpack()" 0
        EVAL "return {cmsgpack.unpack('\x01', 'extra', 'args')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x01', 7999))}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x01', 8000))}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x91', 3998) .. '\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x91', 3999) .. '\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x91', 5000) .. '\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x81', 7997) .. '\x01\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x81', 8000) .. '\x01\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x81\x01', 7997) .. '\x01')}" 0
        EVAL "return #{cmsgpack.unpack(string.rep('\x81\x01', 8000) .. '\x01')}" 0
        "#,
    );
}

#[test]
fn cmsgpack_round_trips_and_streams() {
    differential_script(
        r#"
        EVAL "local t = {s='str', n=1.5, i=-7, a={1,2,{3}}, m={x={y='z'}}, b=true} local d = cmsgpack.unpack(cmsgpack.pack(t)) return cjson.encode(d)" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack(s)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, 2)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, 4)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, 6)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, 7)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, -1)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_one(s, 2.7)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 2)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 2, 2)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 5)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 0)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 0, 2)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, -1)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 1, -5)}" 0
        EVAL "local s = cmsgpack.pack('a', 'b', 'c') return {cmsgpack.unpack_limit(s, 1, 100)}" 0
        EVAL "return {cmsgpack.unpack_limit('abc')}" 0
        EVAL "return {cmsgpack.unpack_limit({}, 1)}" 0
        EVAL "return {cmsgpack.unpack_limit('\x01', 'x')}" 0
        EVAL "return {cmsgpack.unpack_limit('\x01', '1', '0')}" 0
        EVAL "return {cmsgpack.unpack_one()}" 0
        EVAL "return {cmsgpack.unpack_one('\x01\x02', 'x')}" 0
        EVAL "return {cmsgpack.unpack_one('\x93\x01', 0)}" 0
        EVAL "return {cmsgpack.unpack_one('', 0)}" 0
        EVAL "return {cmsgpack.unpack_one('\x01', 1)}" 0
        EVAL "local t = {} for i = 1, 9000 do t[i] = 1 end local s = cmsgpack.pack(unpack(t, 1, 4000)) return {cmsgpack.unpack_limit(s, 2, 3998)}" 0
        "#,
    );
}

#[test]
fn bit_operations() {
    differential_script(
        r#"
        EVAL "return {bit.tobit(1), bit.tobit(-1), bit.tobit(2^31), bit.tobit(2^32), bit.tobit(2^32 + 5), bit.tobit(-2^31 - 1)}" 0
        EVAL "return {bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(0.4999), bit.tobit(2^52 + 3), bit.tobit(2^60)}" 0
        EVAL "return {bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(0/0), bit.tobit(-0.0), bit.tobit(1e300)}" 0
        EVAL "return {bit.tobit('10'), bit.tobit('0x10'), bit.tobit(' 7 ')}" 0
        EVAL "return bit.tobit('x')" 0
        EVAL "return bit.tobit()" 0
        EVAL "return bit.tobit(nil)" 0
        EVAL "return bit.tobit({})" 0
        EVAL "return {bit.bnot(0), bit.bnot(-1), bit.bnot(2^32), bit.bnot(0x12345678)}" 0
        EVAL "return {bit.band(1), bit.band(0xff, 0x0f, 0x3), bit.band(-1, 2^40 + 7), bit.band(-1, -2)}" 0
        EVAL "return {bit.bor(1, 2, 4, 8, 16, 32, 64, 128), bit.bor(2^31, 1), bit.bor(-2^31, 2^33)}" 0
        EVAL "return {bit.bxor(1, 2), bit.bxor(-1, 1), bit.bxor(5, 5, 5), bit.bxor(2^35, 3)}" 0
        EVAL "return bit.band()" 0
        EVAL "return bit.band(1, 'x')" 0
        EVAL "return bit.bor(1, 2, nil)" 0
        EVAL "return {bit.lshift(1, 0), bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(1, -1), bit.lshift(-1, 4)}" 0
        EVAL "return {bit.rshift(-1, 0), bit.rshift(-1, 1), bit.rshift(-1, 28), bit.rshift(2^31, 31), bit.rshift(256, 36)}" 0
        EVAL "return {bit.arshift(-256, 4), bit.arshift(-1, 31), bit.arshift(2^31, 1), bit.arshift(256, 4), bit.arshift(-8, 2)}" 0
        EVAL "return {bit.rol(0x12345678, 4), bit.rol(-1, 7), bit.rol(1, 31), bit.rol(1, 32), bit.rol(0x80000000, 1)}" 0
        EVAL "return {bit.ror(0x12345678, 4), bit.ror(1, 1), bit.ror(1, 0), bit.ror(1, 33), bit.ror(-2, 1)}" 0
        EVAL "return {bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0xff), bit.bswap(2^32 + 0x0102)}" 0
        EVAL "return bit.lshift(1)" 0
        EVAL "return bit.rshift()" 0
        EVAL "return {bit.tohex(65535, -2147483648), bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -2)}" 0
        EVAL "return {bit.tohex(0x12345678, 4), bit.tohex(0x12345678, 12), bit.tohex(0x12345678, -12), bit.tohex(1, 0), bit.tohex(2^40 + 10)}" 0
        EVAL "return {bit.tohex(-1, -8), bit.tohex(0xabcdef, 2^32 + 3)}" 0
        EVAL "return bit.tohex(1, nil)" 0
        EVAL "return bit.tohex()" 0
        EVAL "local t = {} for k in pairs(getmetatable(bit) or {}) do t[#t+1] = k end return #t" 0
        EVAL "return {type(bit.tobit), type(bit.bnot), type(bit.arshift), type(bit.ror)}" 0
        EVAL "bit.lshift = function() return 1 end" 0
        EVAL "return bit.tohex(bit.bxor(bit.lshift(0xdead, 16), 0xbeef))" 0
        "#,
    );
}

#[test]
fn struct_packs_and_unpacks_every_format() {
    differential_script(
        r#"
        EVAL "return struct.pack('>i4', 5)" 0
        EVAL "return struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)" 0
        EVAL "return struct.pack('<bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)" 0
        EVAL "return struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)" 0
        EVAL "return struct.pack('i1i2i3i5i7i8', 1, 2, 3, 5, 7, 8)" 0
        EVAL "return struct.pack('>i16I9i32', -1, 1, -2)" 0
        EVAL "return struct.pack('<i12', -5)" 0
        EVAL "return struct.pack('i0', 5)" 0
        EVAL "return struct.pack('i33', 5)" 0
        EVAL "return struct.pack('b', 200)" 0
        EVAL "return struct.pack('B', -1)" 0
        EVAL "return struct.pack('h', 1.9)" 0
        EVAL "return struct.pack('h', -1.9)" 0
        EVAL "return struct.pack('l', 2^63)" 0
        EVAL "return struct.pack('L', 2^64)" 0
        EVAL "return struct.pack('l', -2^64)" 0
        EVAL "return struct.pack('L', 0/0)" 0
        EVAL "return struct.pack('l', 1/0)" 0
        EVAL "return struct.pack('>I8', 2^63 + 2^11)" 0
        EVAL "return struct.pack('fd', 1.5, -0.1)" 0
        EVAL "return struct.pack('>f>d', 1.5, -0.1)" 0
        EVAL "return struct.pack('dfd', -0.0, 1/0, 0/0)" 0
        EVAL "return struct.pack('f', 1e40)" 0
        EVAL "return struct.pack('c3', 'abcdef')" 0
        EVAL "return struct.pack('c0', 'abcdef')" 0
        EVAL "return struct.pack('c', 'xyz')" 0
        EVAL "return struct.pack('c5', 'abc')" 0
        EVAL "return struct.pack('i4c5', 1, 'abc')" 0
        EVAL "return struct.pack('s', 'hello')" 0
        EVAL "return struct.pack('s', 'a\0b')" 0
        EVAL "return struct.pack('xbxxh', 1, 2)" 0
        EVAL "return struct.pack('c1000000000', 'x')" 0
        EVAL "return struct.pack('!bi', 1, 2)" 0
        EVAL "return struct.pack('!4bi bd', 1, 2, 3, 4.5)" 0
        EVAL "return struct.pack('!2bi bd', 1, 2, 3, 4.5)" 0
        EVAL "return struct.pack('!16bi16', 1, 2)" 0
        EVAL "return struct.pack('!8bi3', 1, 2)" 0
        EVAL "return struct.pack('!3b', 1)" 0
        EVAL "return struct.pack('!0b', 1)" 0
        EVAL "return struct.pack('!bc3', 1, 'abc')" 0
        EVAL "return struct.pack('b b', 1, 2)" 0
        EVAL "return struct.pack('=b', 1)" 0
        EVAL "return struct.pack('z', 1)" 0
        EVAL "return struct.pack('b\0z', 1)" 0
        EVAL "return struct.pack('b')" 0
        EVAL "return struct.pack('bb', 1, 'x')" 0
        EVAL "return struct.pack('b', '12')" 0
        EVAL "return struct.pack('c2', 12)" 0
        EVAL "return struct.pack('c2', {})" 0
        EVAL "return struct.pack('i99999999999', 1)" 0
        EVAL "return struct.pack('c2147483648', 'x')" 0
        EVAL "return struct.pack(12, 1)" 0
        EVAL "return struct.pack()" 0
        EVAL "return struct.pack('')" 0
        EVAL "return {struct.unpack('>i4', struct.pack('>i4', 5))}" 0
        EVAL "return {struct.unpack('bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7))}" 0
        EVAL "return {struct.unpack('>bBhHiI', struct.pack('>bBhHiI', -1, 255, -2, 65535, -6, 7))}" 0
        EVAL "local a, b = struct.unpack('<l<L', string.rep('\xff', 16)) return {tostring(a), tostring(b)}" 0
        EVAL "local a, b = struct.unpack('>i9>I9', string.rep('\x81', 18)) return {tostring(a), tostring(b)}" 0
        EVAL "local a, b = struct.unpack('<i16<I3', string.rep('\x80', 19)) return {tostring(a), tostring(b)}" 0
        EVAL "return {struct.unpack('i0', 'abc')}" 0
        EVAL "local a, b, c = struct.unpack('fd', struct.pack('fd', 1.5, -0.1)) return {tostring(a), tostring(b), c}" 0
        EVAL "local a, b = struct.unpack('>f>d', struct.pack('>f>d', 0.1, 1e300)) return {tostring(a), tostring(b)}" 0
        EVAL "return {struct.unpack('c3c2', 'abcdef')}" 0
        EVAL "return {struct.unpack('bc0', '\x03abcdef')}" 0
        EVAL "return {struct.unpack('c1c0', '3abcdef')}" 0
        EVAL "return {struct.unpack('c0', 'abc')}" 0
        EVAL "return {struct.unpack('c1c0', 'xabc')}" 0
        EVAL "return {struct.unpack('bc0', '\xffabc')}" 0
        EVAL "return {struct.unpack('bc0', '\x09abc')}" 0
        EVAL "return {struct.unpack('ss', 'ab\0cd\0ef')}" 0
        EVAL "return {struct.unpack('s', 'abc')}" 0
        EVAL "return {struct.unpack('xbx', 'abc')}" 0
        EVAL "return {struct.unpack('!4bi', '\x01\0\0\0\x02\0\0\0')}" 0
        EVAL "return {struct.unpack('i', 'abc')}" 0
        EVAL "return {struct.unpack('b', 'abc', 3)}" 0
        EVAL "return {struct.unpack('b', 'abc', 4)}" 0
        EVAL "return {struct.unpack('b', 'abc', 0)}" 0
        EVAL "return {struct.unpack('b', 'abc', -1)}" 0
        EVAL "return {struct.unpack('!4i', 'abcdefgh', -1)}" 0
        EVAL "return {struct.unpack('b', 'abc', 2.9)}" 0
        EVAL "return {struct.unpack('b', 'abc', '2')}" 0
        EVAL "return {struct.unpack('b', 'abc', 'x')}" 0
        EVAL "return {struct.unpack('b', 'abc', 2^70)}" 0
        EVAL "return {struct.unpack('z', 'abc')}" 0
        EVAL "return {struct.unpack('!5b', 'abc')}" 0
        EVAL "return {struct.unpack('b')}" 0
        EVAL "return {struct.unpack('b', {})}" 0
        EVAL "return {struct.unpack('b', 65)}" 0
        EVAL "return {struct.unpack('c1000000000', 'abc')}" 0
        EVAL "return #{struct.unpack(string.rep('b', 7996), string.rep('x', 8000))}" 0
        EVAL "return #{struct.unpack(string.rep('b', 7997), string.rep('x', 8000))}" 0
        EVAL "return #{struct.unpack(string.rep('b', 7995), string.rep('x', 8000), 1, 'extra')}" 0
        EVAL "return #{struct.unpack(string.rep('b', 7996), string.rep('x', 8000), 1, 'extra')}" 0
        EVAL "return {struct.size('bBhHlLTiIfdx'), struct.size('!bd'), struct.size('!4bd'), struct.size('i7c3'), struct.size('')}" 0
        EVAL "return {struct.size('zq'), struct.size('<>b'), struct.size('c2147483647c2147483647')}" 0
        EVAL "return struct.size('s')" 0
        EVAL "return struct.size('c0')" 0
        EVAL "return struct.size('b%')" 0
        EVAL "return struct.size('!3')" 0
        EVAL "return struct.size('i40')" 0
        EVAL "return struct.size()" 0
        EVAL "struct.pack = nil" 0
        EVAL "return struct.pack('bbb', 1)" 0
        EVAL "return struct.pack('c9000c1', string.rep('x', 9000))" 0
        EVAL "return struct.pack('c9000b', string.rep('x', 9000))" 0
        EVAL "return struct.pack('c8192c1', string.rep('x', 8192))" 0
        EVAL "return struct.pack('c8193c1', string.rep('x', 8193))" 0
        EVAL "return #struct.pack('c40000c1', string.rep('y', 40000))" 0
        EVAL "return #struct.pack('c40000xxc1c1', string.rep('y', 40000))" 0
        EVAL "return struct.pack('c9000i', string.rep('7', 9000))" 0
        EVAL "return struct.pack('d', 1e-300)" 0
        EVAL "return struct.pack('f', 1e-40)" 0
        "#,
    );
}

/// A small input that describes a huge output (a sparse array encoded in
/// full) is stopped at 512 MB instead of exhausting memory.
#[test]
fn encoders_stop_at_512_mb() {
    let server = common::start_lodestone(&[]);
    let mut c = common::Conn::connect(server.port);
    let script = "cjson.encode_sparse_array(true, 0) return #cjson.encode({[2^31-1]=1})";
    match c.cmd(&["EVAL", script, "0"]) {
        lodestone_protocol::frame::Frame::Error(e) => assert!(
            String::from_utf8_lossy(&e).contains("Cannot serialise, output larger than 512 MB"),
            "{}",
            String::from_utf8_lossy(&e)
        ),
        other => panic!("encoding was not stopped: {other:?}"),
    }
}
