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
local setmetatable, setfenv, loadstring, rawget, unpack =
    setmetatable, setfenv, loadstring, rawget, unpack
local make_err = prims.make_err

-- The functions that may raise are C trampolines into the server (see
-- trampoline.rs): a C function keeps the script's frame on the stack even
-- when tail-called, so errors can name the script's line.
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
    return unpack(r, 1, table.maxn(r))
end

math.random = prims.random
math.randomseed = prims.randomseed

-- Read-only view of `t`: reads go through, writes raise as Redis's
-- read-only tables do.
local function readonly_error()
    error("Attempt to modify a readonly table", 2)
end
local function lock(t)
    return setmetatable({}, { __index = t, __newindex = readonly_error, __metatable = false })
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
    'gcinfo', 'pairs', 'rawget', 'loadstring', 'ipairs', '_VERSION', 'setfenv', 'load', 'error',
    'newproxy' }) do
    backing[name] = _G[name]
end
for name, lib in pairs(prims.libs) do
    backing[name] = lock(lib)
end
setmetatable(backing, {
    __index = function(_, name)
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end,
    __metatable = false,
})
local globals = setmetatable({}, { __index = backing, __newindex = readonly_error, __metatable = false })
backing._G = globals
backing.coroutine = lock(coroutine)
-- Chunks compiled by scripts (loadstring, load) see the same globals.
setfenv(0, globals)

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
        local text = tostring(err)
        local cut = text:find('\nstack traceback:', 1, true)
        if cut then
            text = text:sub(1, cut - 1)
        end
        err = { err = 'ERR ' .. text }
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

-- Runs `f` with `args` under the error handler: (true, result) or
-- (false, error table).
function api.run(f, ...)
    local n, args = select('#', ...), { ... }
    return xpcall(function()
        return f(unpack(args, 1, n))
    end, on_error)
end

-- Sets KEYS and ARGV for an EVAL run.
function api.set_keys_argv(keys, argv)
    backing.KEYS = keys
    backing.ARGV = argv
end

return api
