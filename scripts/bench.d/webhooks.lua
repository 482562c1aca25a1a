-- wrk script for scripts/bench: POSTs GitHub `package` deliveries read from $BENCH_WRK_DIR/body<N>.json with their
-- X-Hub-Signature-256 from $BENCH_WRK_DIR/sig<N> (written by bench.py), each with a new X-GitHub-Delivery id.
-- BENCH_WRK_BAD=1 sends a wrong signature instead (same length, so the agent reads the body and computes the HMAC).
local dir = os.getenv("BENCH_WRK_DIR")
local run = os.getenv("BENCH_WRK_RUN") or "run"
local bad = os.getenv("BENCH_WRK_BAD") == "1"
local bodies, sigs = {}, {}
for i = 1, 16 do
  local f = io.open(dir .. "/body" .. i .. ".json", "rb")
  if not f then break end
  bodies[i] = f:read("*a")
  f:close()
  local s = io.open(dir .. "/sig" .. i, "rb")
  sigs[i] = s:read("*l")
  s:close()
  if bad then
    sigs[i] = "sha256=" .. string.rep("0", 64)
  end
end
assert(#bodies > 0, "no bodies in " .. tostring(dir))

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function request()
  n = n + 1
  local i = (n % #bodies) + 1
  return wrk.format("POST", "/hooks/github", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "package",
    ["X-GitHub-Delivery"] = run .. "-" .. tostring(tid) .. "-" .. tostring(n),
    ["X-Hub-Signature-256"] = sigs[i],
  }, bodies[i])
end
