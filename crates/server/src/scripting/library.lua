-- Lodestone's function-library loader (FUNCTION LOAD), run once in the
-- functions interpreter after the sandbox (prelude.lua), whose pieces it
-- receives. The EVAL interpreter never loads it: every live object costs
-- the collector time on each cycle, and EVAL runs do not need these.
-- Named "@lodestone" like the prelude, so its frames count as the
-- sandbox's. Returns `load_library`.
local internals = ...

local make_err, readonly_error, PROTECTED, redis = internals.make_err, internals.readonly_error,
    internals.PROTECTED, internals.redis
local loadstring, globals, globals_meta, backing = internals.loadstring, internals.globals,
    internals.globals_meta, internals.backing
local error_message, pcall_raw, setfenv, setmetatable = internals.error_message, internals.pcall,
    internals.setfenv, internals.setmetatable
local error, tostring, type, ipairs, next, select = internals.error, internals.tostring, internals.type,
    internals.ipairs, internals.next, internals.select

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

-- Runs a library's code (after its shebang line) with the library API as
-- globals. Returns its registrations, or nil and Redis's error message.
local function load_library(code)
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

return load_library
