-- bench/oidc_token.lua - wrk script for bench/oidc_token.sh: exchanges pre-minted
-- authorization codes at the token endpoint (RFC 6749 §4.1.3, PKCE, client_secret_basic),
-- each code once. One wrk thread (-t1): the codes file holds "CODE VERIFIER" lines.
--   wrk -t1 -c8 -d600s -s bench/oidc_token.lua URL -- CODES_FILE BASIC REDIRECT MARKER
-- When every code has been answered the thread stops itself (wrk's duration is only a cap),
-- the script creates MARKER, and done() prints tokens=N refused=N seconds=S tokens_per_s=R,
-- timed with CLOCK_MONOTONIC from the first request to the last answer (LuaJIT ffi).
-- wrk calls request() once before connecting, to check the script (script_verify_request):
-- that call builds the first code's request without spending it.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } ow_timespec;
  int clock_gettime(int clk, ow_timespec *ts);
]]
local function now()
  local ts = ffi.new("ow_timespec")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local codes, next_i, ok, refused, headers, redirect, marker, t0 = {}, 0, 0, 0, nil, nil, nil, nil
local verified = false

function init(args)
  headers = { ["Authorization"] = args[2], ["Content-Type"] = "application/x-www-form-urlencoded" }
  redirect, marker = args[3], args[4]
  for line in io.lines(args[1]) do
    local code, verifier = line:match("^(%S+) (%S+)$")
    if code then table.insert(codes, { code, verifier }) end
  end
end

local function esc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function request()
  local c
  if not verified then
    verified = true -- wrk's check, not sent
    c = codes[1]
  else
    next_i = next_i + 1
    c = codes[next_i]
    if t0 == nil then t0 = now() end
  end
  if c == nil then
    -- out of codes: the other connections ask for something cheap (not counted)
    return wrk.format("GET", "/healthz")
  end
  local body = "grant_type=authorization_code&code=" .. esc(c[1]) .. "&code_verifier=" ..
      esc(c[2]) .. "&redirect_uri=" .. esc(redirect)
  return wrk.format("POST", "/oauth2/token", headers, body)
end

function response(status, hdrs, body)
  if ok + refused >= #codes then return end
  if body:find('"access_token"', 1, true) then
    ok = ok + 1
  elseif status ~= 200 then
    refused = refused + 1
  end
  if ok + refused == #codes then
    wrk.thread:set("ok", ok)
    wrk.thread:set("refused", refused)
    wrk.thread:set("seconds", now() - t0)
    io.open(marker, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local t = threads[1]
  local tok, bad, s = t:get("ok") or 0, t:get("refused") or 0, t:get("seconds") or 0
  io.write(string.format("tokens=%d\nrefused=%d\nseconds=%.3f\ntokens_per_s=%.0f\n", tok, bad, s,
    s > 0 and tok / s or 0))
  io.write(string.format("p50_ms=%.2f\np99_ms=%.2f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
