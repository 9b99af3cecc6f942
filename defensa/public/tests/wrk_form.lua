-- wrk script for Defensa's report form, driven by live_server.py (see there). Modes:
--   hello   GET the URL as it is (the health check): the server's floor.
--   intake  POST the report form as a browser does, with a trusted-reporter link (field t),
--           so what is measured is storing a report, not the flood defenses.
--   cycle   what each legitimate report costs: GET the form, then POST it (trusted link),
--           in turn; run it with as many threads as connections.
--   junk    POST the form with no or invalid proof-of-work, each from a random simulated
--           address (FORM_PROXY_HEADER), plus a few addresses that hammer past their bucket.
--           A solution some reporter already used is replayed too: FORM_NONCE for
--           FORM_CHALLENGE, and whatever FORM_REPLAY_FILE holds ("challenge nonce") once the
--           flood test writes one there.
-- Every thread stops after FORM_MAX answers; done() prints one JSON line of figures.

local mode = os.getenv("FORM_MODE") or "hello"
local max_answers = tonumber(os.getenv("FORM_MAX") or "0")
local cookie = os.getenv("FORM_COOKIE") or ""
local csrf = os.getenv("FORM_CSRF") or ""
local challenge = os.getenv("FORM_CHALLENGE") or ""
local replayed_nonce = os.getenv("FORM_NONCE") or ""
local token = os.getenv("FORM_TOKEN") or ""
local zip = os.getenv("FORM_ZIP") or "60608"
local proxy_header = os.getenv("FORM_PROXY_HEADER") or ""
local hammerers = tonumber(os.getenv("FORM_HAMMERERS") or "4")
local replay_file = os.getenv("FORM_REPLAY_FILE") or ""
local boundary = "----defensa-form-boundary"

local said = {
  "Tres camionetas negras sin placas frente a la lavandería; los agentes traen chalecos que dicen POLICE e ICE",
  "Están deteniendo a un señor en la parada del autobús de la calle 18, son como cuatro agentes",
  "Carros de la migra estacionados afuera de la escuela desde temprano, vigilando la entrada",
  "Un retén en la avenida Ashland cerca del puente, están pidiendo papeles a los que pasan",
  "Operativo en el edificio de apartamentos, tocando puertas piso por piso, hay niños solos",
  "Se llevaron a una señora que vendía tamales en la esquina, su hijo se quedó llorando",
  "Dos agentes vestidos de civil preguntando por un vecino en la tienda de la esquina",
}
local places = {
  "Calle 18 y Blue Island", "Frente a la iglesia de San Pío", "Ashland y Cermak",
  "Estacionamiento del supermercado", "Parada del autobús 18 y Racine",
}

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  answered = 0
  sent = 0
  math.randomseed(os.time() * 1000 + id * 7919)
end

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name
    .. "\"\r\n\r\n" .. value .. "\r\n"
end

local function form(text, place, fields)
  local out = { part("csrfmiddlewaretoken", csrf), part("what", text), part("where", place),
    part("zip_code", zip), part("when", "now"), part("agency", "ice"),
    part("how_many", tostring(math.random(1, 12))), part("callback", ""), part("spoken", ""),
    part("lat", ""), part("lng", "") }
  for _, pair in ipairs(fields) do
    table.insert(out, part(pair[1], pair[2]))
  end
  table.insert(out, "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"attachment\";"
    .. " filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n")
  table.insert(out, "--" .. boundary .. "--\r\n")
  return table.concat(out)
end

local function headers(address)
  local out = {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Cookie"] = "csrftoken=" .. cookie,
  }
  if address and proxy_header ~= "" then out[proxy_header] = address end
  return out
end

local function hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(out)
end

local function random_address()
  return string.format("127.%d.%d.%d", math.random(100, 254), math.random(0, 255),
    math.random(1, 254))
end

local function reread_replay()
  if replay_file == "" then return end
  local handle = io.open(replay_file, "r")
  if handle == nil then return end
  local line = handle:read("*l")
  handle:close()
  local found_challenge, found_nonce = string.match(line or "", "^(%S+) (%S+)$")
  if found_challenge then
    challenge, replayed_nonce = found_challenge, found_nonce
  end
end

local function junk()
  if sent % 50 == 1 then reread_replay() end
  local kind = sent % 4
  local address = random_address()
  if sent % 5 == 0 then
    -- A few addresses send a fifth of the junk: far past their bucket.
    address = string.format("127.66.%d.%d", id, (sent / 5) % hammerers + 1)
  end
  local fields
  if kind == 0 then
    fields = {}  -- no proof-of-work fields at all
  elseif kind == 1 then
    -- A made-up challenge (bad signature) and a nonce.
    fields = { { "pow_challenge", string.format("v1.%d.%s.16.%s", os.time(), hex(24), hex(32)) },
      { "pow_nonce", tostring(math.random(0, 999999)) } }
  elseif kind == 2 then
    -- A real challenge with a guessed nonce.
    fields = { { "pow_challenge", challenge }, { "pow_nonce", tostring(math.random(0, 999999)) } }
  else
    -- A solution that was already used, replayed.
    fields = { { "pow_challenge", challenge }, { "pow_nonce", replayed_nonce } }
  end
  table.insert(fields, { "t", "" })
  local body = form("basura " .. id .. "-" .. sent, "en ningún lado", fields)
  return wrk.format("POST", nil, headers(address), body)
end

local function intake()
  local text = said[sent % #said + 1] .. " (" .. id .. "-" .. sent .. ")"
  local body = form(text, places[sent % #places + 1],
    { { "pow_challenge", challenge }, { "pow_nonce", "" }, { "t", token } })
  return wrk.format("POST", nil, headers(nil), body)
end

if mode == "intake" then
  function request()
    sent = sent + 1
    return intake()
  end
elseif mode == "cycle" then
  function request()
    sent = sent + 1
    if sent % 2 == 1 then
      return wrk.format("GET", nil, { ["Cookie"] = "csrftoken=" .. cookie }, nil)
    end
    return intake()
  end
elseif mode == "junk" then
  function request()
    sent = sent + 1
    return junk()
  end
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if max_answers > 0 and answered >= max_answers then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total = {}
  local unanswered = 0
  for _, thread in ipairs(threads) do
    unanswered = unanswered + math.max(0, thread:get("sent") - thread:get("answered"))
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format("\"%d\":%d", status, count))
  end
  local e = summary.errors
  io.write(string.format(
    "{\"requests\":%d,\"unanswered\":%d,\"seconds\":%.3f,\"statuses\":{%s},\"errors\":{\"connect\":%d,"
      .. "\"read\":%d,\"write\":%d,\"timeout\":%d},\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
      .. "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f}\n",
    summary.requests, unanswered, summary.duration / 1e6, table.concat(parts, ","), e.connect, e.read,
    e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
