// node-postgres against `bbsql serve`: a parameterised query, printed as JSON lines for the Python test.
const { Client } = require("pg");

async function main() {
  const [host, port, password, repo] = process.argv.slice(2);
  const client = new Client({ host, port: Number(port), user: "reader", password, database: "acme", ssl: false });
  await client.connect();
  const result = await client.query(
    "SELECT id, title, draft, comment_count, created_on, reviewers FROM pull_requests WHERE repository = $1 ORDER BY id LIMIT 5",
    [repo],
  );
  for (const row of result.rows) {
    console.log(JSON.stringify({ ...row, id: String(row.id), comment_count: String(row.comment_count), created_on: row.created_on.toISOString() }));
  }
  await client.end();
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
