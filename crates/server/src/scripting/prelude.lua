-- Lodestone's Lua sandbox, run once when the interpreter is created.
--
-- It receives the Rust primitives (`prims`), builds the `redis` API on top
-- of them, locks every global and library table against changes, and
-- returns the handful of functions the server drives scripts with. The
-- chunk is named "@lodestone" so the error handler can skip its frames and
-- report the script's own line, as Redis reports it.
local prims = ...

local dbg = debug
debug = nil

local type, tostring, tonumber, select, error, xpcall, pcall_raw =
    type, tostring, tonumber, select, error, xpcall, pcall
local setmetatable, setfenv, loadstring_raw, rawget, unpack =
    setmetatable, setfenv, loadstring, rawget, unpack
local getmetatable, rawset, ipairs, next, pairs, maxn, concat, load =
    getmetatable, rawset, ipairs, next, pairs, table.maxn, table.concat, load
local make_err = prims.make_err

-- Every read-only table's metatable answers getmetatable() with this
-- empty, read-only table: scripts can see a table is protected but never
-- reach the tables behind it.
local PROTECTED = {}
local function readonly_error()
    error("Attempt to modify a readonly table", 2)
end
setmetatable(PROTECTED, { __newindex = readonly_error, __metatable = PROTECTED })
local function is_protected(t)
    return type(t) == 'table' and getmetatable(t) == PROTECTED
end

-- loadstring that refuses precompiled chunks, as Redis's Lua does (a
-- crafted binary chunk can corrupt the interpreter).
local function loadstring(s, name)
    if type(s) == 'string' and s:byte(1) == 27 then
        local where = name and name:gsub('^[@=]', '') or ('[string "' .. s:sub(1, 20) .. '"]')
        return nil, where .. ":1: unexpected symbol near 'char(27)'"
    end
    return loadstring_raw(s, name)
end

-- The functions that may raise are C functions (call.rs, trampoline.rs):
-- a C function keeps the script's frame on the stack even when
-- tail-called, so errors can name the script's line.
local redis = {
    call = prims.call,
    pcall = prims.pcall,
    setresp = prims.setresp,
    set_repl = prims.set_repl,
    log = prims.log,
    acl_check_cmd = prims.acl_check_cmd,
    sha1hex = prims.sha1hex,
}
redis.error_reply = function(...)
    local e = ...
    if select('#', ...) ~= 1 or type(e) ~= 'string' then
        return make_err("wrong number or type of arguments")
    end
    if e:sub(1, 1) ~= '-' then
        e = '-' .. e
    end
    return make_err(e)
end
redis.status_reply = function(...)
    local s = ...
    if select('#', ...) ~= 1 or type(s) ~= 'string' then
        return make_err("wrong number or type of arguments")
    end
    return { ok = s }
end
redis.replicate_commands = function()
    return true
end
redis.breakpoint = function()
    return false
end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = prims.version, prims.version_num

-- Redis's pcall: an error table raised by redis.call is returned as its
-- message string, as scripts written before Redis 7 expect.
local function pcall_compat(f, ...)
    local r = { pcall_raw(f, ...) }
    if not r[1] and type(r[2]) == 'table' and type(rawget(r[2], 'err')) == 'string' then
        return false, rawget(r[2], 'err')
    end
    return unpack(r, 1, maxn(r))
end

math.random = prims.random
math.randomseed = prims.randomseed

-- Read-only view of `t`: reads go through, writes raise as Redis's
-- read-only tables do.
local function lock(t)
    return setmetatable({}, { __index = t, __newindex = readonly_error, __metatable = PROTECTED })
end

-- The builtins that could change a protected table bypassing its
-- metatable refuse to, with Redis's error (raised as from C: no line).
local function sandbox_setmetatable(t, mt)
    if is_protected(t) then
        error("Attempt to modify a readonly table", 0)
    end
    return setmetatable(t, mt)
end
local function sandbox_rawset(t, k, v)
    if is_protected(t) then
        error("Attempt to modify a readonly table", 0)
    end
    return rawset(t, k, v)
end
-- load(reader): the pieces are joined and compiled like loadstring's.
local function sandbox_load(reader, name)
    if type(reader) ~= 'function' then
        return load(reader, name)
    end
    local parts = {}
    while true do
        local piece = reader()
        if piece == nil or piece == '' then
            break
        end
        if type(piece) ~= 'string' then
            return nil, 'reader function must return a string'
        end
        parts[#parts + 1] = piece
    end
    return loadstring(concat(parts), name or '=(load)')
end

-- The globals scripts see: a locked proxy over `backing`, which raises on
-- reads of names that do not exist.
local backing = {
    redis = lock(redis),
    server = lock(redis),
    string = lock(string),
    table = lock(table),
    math = lock(math),
    pcall = pcall_compat,
}
for _, name in ipairs({ 'xpcall', 'tostring', 'getfenv', 'setmetatable', 'next', 'assert', 'tonumber',
    'rawequal', 'collectgarbage', 'getmetatable', 'rawset', 'coroutine', 'type', 'select', 'unpack',
    'gcinfo', 'pairs', 'rawget', 'ipairs', '_VERSION', 'setfenv', 'error', 'newproxy' }) do
    backing[name] = _G[name]
end
backing.setmetatable = sandbox_setmetatable
backing.rawset = sandbox_rawset
backing.loadstring = loadstring
backing.load = sandbox_load
for name, lib in pairs(prims.libs) do
    backing[name] = lock(lib)
end
setmetatable(backing, {
    __index = function(_, name)
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end,
    __metatable = PROTECTED,
})
local globals_meta = { __index = backing, __newindex = readonly_error, __metatable = PROTECTED }
local globals = setmetatable({}, globals_meta)
backing._G = globals
backing.coroutine = lock(coroutine)
-- Chunks compiled by scripts (loadstring, load) see the same globals.
setfenv(0, globals)
-- Strings' metatable (its __index is the real string library) is
-- protected like the rest.
dbg.getmetatable('').__metatable = PROTECTED

-- The message of an error value caught by pcall, as Redis extracts it:
-- an error table's `err`, or "ERR " and the text of anything else.
local function error_message(err)
    if type(err) == 'table' then
        local e = rawget(err, 'err')
        return type(e) == 'string' and e or 'ERR unknown error'
    end
    local text = tostring(err)
    local cut = text:find('\nstack traceback:', 1, true)
    if cut then
        text = text:sub(1, cut - 1)
    end
    return 'ERR ' .. text
end

-- Error handler of a script run: adds where the error happened (the first
-- frame that is the script's own code).
local function on_error(err)
    local level = 2
    local info = dbg.getinfo(level, 'nSl')
    while info and (info.what == 'C' or info.what == 'tail' or info.source == '@lodestone') do
        level = level + 1
        info = dbg.getinfo(level, 'nSl')
    end
    if type(err) ~= 'table' then
        -- Errors raised from Rust (SCRIPT KILL) print with a traceback.
        err = { err = error_message(err) }
    end
    if info then
        err.source = info.source
        err.line = info.currentline
    end
    return err
end

-- Function libraries (FUNCTION LOAD). While a library's code runs, the
-- globals resolve to `library_backing` only: a `redis` table that offers
-- register_function, log and the constants, and nothing else. Functions it
-- registers keep the ordinary globals for when they are called.
local registrations = nil
local function fail(msg)
    error(make_err(msg))
end
local function strict(t)
    return setmetatable({}, {
        __index = function(_, name)
            local v = t[name]
            if v == nil then
                error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
            end
            return v
        end,
        __newindex = readonly_error,
        __metatable = PROTECTED,
    })
end
local FLAG_NAMES = { 'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys' }
local NAME_ERROR = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'

-- A string argument as Redis's luaGetStringSds reads it: strings and
-- numbers, as text; nil for anything else.
local function string_arg(v)
    local t = type(v)
    if t == 'string' or t == 'number' then
        return tostring(v)
    end
    return nil
end

local function read_flags(list)
    local flags, j = {}, 1
    while true do
        local f = list[j]
        if f == nil then
            return flags
        end
        f = string_arg(f)
        local known = nil
        if f then
            for _, name in ipairs(FLAG_NAMES) do
                if f:lower() == name then
                    known = name
                end
            end
        end
        if not known then
            fail('unknown flag given')
        end
        flags[known] = true
        j = j + 1
    end
end

local function read_named_args(t)
    if type(t) ~= 'table' then
        fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    local r = { flags = {} }
    for k, v in next, t do
        if type(k) ~= 'string' and type(k) ~= 'number' then
            fail('named argument key given to redis.register_function is not a string')
        end
        local key = tostring(k):lower()
        if key == 'function_name' then
            r.name = string_arg(v)
            if not r.name then
                fail('function_name argument given to redis.register_function must be a string')
            end
        elseif key == 'description' then
            r.description = string_arg(v)
            if not r.description then
                fail('description argument given to redis.register_function must be a string')
            end
        elseif key == 'callback' then
            if type(v) ~= 'function' then
                fail('callback argument given to redis.register_function must be a function')
            end
            r.callback = v
        elseif key == 'flags' then
            if type(v) ~= 'table' then
                fail('flags argument to redis.register_function must be a table representing function flags')
            end
            r.flags = read_flags(v)
        else
            fail('unknown argument given to redis.register_function')
        end
    end
    if not r.name then
        fail('redis.register_function must get a function name argument')
    end
    if not r.callback then
        fail('redis.register_function must get a callback argument')
    end
    return r
end

local function register_function(...)
    if not registrations then
        fail('redis.register_function can only be called on FUNCTION LOAD command')
    end
    local n = select('#', ...)
    if n < 1 or n > 2 then
        fail('wrong number of arguments to redis.register_function')
    end
    local r
    if n == 1 then
        r = read_named_args(...)
    else
        local name, callback = ...
        r = { name = string_arg(name), callback = callback, flags = {} }
        if not r.name then
            fail('first argument to redis.register_function must be a string')
        end
        if type(callback) ~= 'function' then
            fail('second argument to redis.register_function must be a function')
        end
    end
    if #r.name == 0 or r.name:find('[^%w_]') then
        fail(NAME_ERROR)
    end
    for _, other in ipairs(registrations) do
        if other.name == r.name then
            fail('Function already exists in the library')
        end
    end
    registrations[#registrations + 1] = r
end

local library_backing = strict({
    redis = strict({
        register_function = register_function,
        log = redis.log,
        LOG_DEBUG = redis.LOG_DEBUG,
        LOG_VERBOSE = redis.LOG_VERBOSE,
        LOG_NOTICE = redis.LOG_NOTICE,
        LOG_WARNING = redis.LOG_WARNING,
        REDIS_VERSION = redis.REDIS_VERSION,
        REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
    }),
})

local api = {}

-- Runs a library's code (after its shebang line) with the library API as
-- globals. Returns its registrations, or nil and Redis's error message.
function api.load_library(code)
    local f, msg = loadstring(code, '@user_function')
    if not f then
        return nil, 'Error compiling function: ' .. msg
    end
    setfenv(f, globals)
    registrations = {}
    globals_meta.__index = library_backing
    local ok, err = pcall_raw(f)
    globals_meta.__index = backing
    local regs = registrations
    registrations = nil
    if not ok then
        return nil, 'Error registering functions: ' .. error_message(err)
    end
    return regs
end

-- Compiles a script body; returns the function or nil and Lua's message.
function api.compile(body, name)
    local f, msg = loadstring(body, name)
    if not f then
        return nil, msg
    end
    setfenv(f, globals)
    return f
end

-- What a run needs from the sandbox (run.rs calls scripts through the C
-- API): the error handler, and the table the globals resolve to, where an
-- EVAL run sets KEYS and ARGV.
api.on_error = on_error
api.backing = backing

-- The original global table is still the environment of the builtins
-- (getfenv(tostring) returns it): empty it, so that nothing scripts could
-- reach through it is shared with other scripts.
local original_globals = _G
for name in next, original_globals do
    original_globals[name] = nil
end

return api
