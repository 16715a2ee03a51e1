-- Lodestone's Lua sandbox, run once when the interpreter is created.
--
-- It receives the Rust primitives (`prims`), builds the `redis` API on top
-- of them, locks every global and library table against changes, and
-- returns the handful of functions the server drives scripts with. The
-- chunk is named "@lodestone" so the error handler can skip its frames and
-- report the script's own line, as Redis reports it.
local prims = ...

-- Only the error handler needs the debug library, and only getinfo.
local getinfo, debug_getmetatable = debug.getinfo, debug.getmetatable
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
debug_getmetatable('').__metatable = PROTECTED

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
    local info = getinfo(level, 'nSl')
    while info and (info.what == 'C' or info.what == 'tail' or info.source == '@lodestone') do
        level = level + 1
        info = getinfo(level, 'nSl')
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

local api = {}

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

-- What the library loader (library.lua, run only in the functions
-- interpreter) builds on.
api.internals = {
    make_err = make_err,
    readonly_error = readonly_error,
    PROTECTED = PROTECTED,
    redis = redis,
    loadstring = loadstring,
    globals = globals,
    globals_meta = globals_meta,
    backing = backing,
    error_message = error_message,
    pcall = pcall_raw,
    setfenv = setfenv,
    setmetatable = setmetatable,
    error = error,
    tostring = tostring,
    type = type,
    ipairs = ipairs,
    next = next,
    select = select,
}

-- The original global table is still the environment of the builtins
-- (getfenv(tostring) returns it): empty it, so that nothing scripts could
-- reach through it is shared with other scripts.
local original_globals = _G
for name in next, original_globals do
    original_globals[name] = nil
end

return api
