-- What agents propose all day, for wrk against POST /api/v1/decide: reads, workspace
-- work, now and then a change, one after another. `@TOKEN@` is replaced by the agent
-- credential (bench/serve.sh, bench/team.sh).
local actions = {
  '{"surface":"shell","input":"git status && git diff --stat","cwd":"/home/dev/project","session":"bench"}',
  '{"surface":"shell","input":"cargo test --workspace 2>&1 | tail -20","cwd":"/home/dev/project","session":"bench"}',
  '{"surface":"shell","input":"grep -rn TODO src | head","cwd":"/home/dev/project","session":"bench"}',
  '{"surface":"sql","input":"SELECT id, email FROM users WHERE id = 42","cwd":"/home/dev/project","session":"bench"}',
  '{"surface":"shell","input":"rm -rf target/debug/incremental","cwd":"/home/dev/project","session":"bench"}',
  '{"surface":"shell","input":"curl -s https://example.com/api | jq .","cwd":"/home/dev/project","session":"bench"}',
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @TOKEN@"
request = function()
  i = i % #actions + 1
  return wrk.format(nil, "/api/v1/decide", nil, actions[i])
end
response = function(status, headers, body)
  if status ~= 200 then error("decide answered " .. status .. ": " .. body) end
end
