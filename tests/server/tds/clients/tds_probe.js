// The node mssql/tedious client as applications use it: a parameterised query and a metadata query.
// Usage: node tds_probe.js PORT USER PASSWORD DATABASE REPOSITORY [ENCRYPT] ; prints one JSON line.
// ENCRYPT: "true" (TLS negotiated in PRELOGIN, TDS 7.4, the default) or "strict" (TLS first, TDS 8,
// which always validates the certificate: TDS_CA names the PEM file of the server's certificate).
const fs = require("fs");
const sql = require("mssql");

const [port, user, password, database, repository, encryptArgument] = process.argv.slice(2);
const encrypt = encryptArgument === "strict" ? "strict" : true;

(async () => {
  const pool = await sql.connect({
    server: "127.0.0.1",
    port: parseInt(port, 10),
    user,
    password,
    database,
    options: {
      encrypt,
      trustServerCertificate: encrypt !== "strict",
      ...(process.env.TDS_CA ? { cryptoCredentialsDetails: { ca: [fs.readFileSync(process.env.TDS_CA)] } } : {}),
    },
    connectionTimeout: 15000,
    requestTimeout: 60000,
  });
  const query = await pool
    .request()
    .input("repo", sql.NVarChar, repository)
    .query(
      "SELECT TOP 5 id, title, draft, comment_count, created_on, reviewers FROM pull_requests " +
        "WHERE repository = @repo ORDER BY id"
    );
  const tables = await pool
    .request()
    .input("pattern", sql.NVarChar, "pull%")
    .query(
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME LIKE @pattern ORDER BY TABLE_NAME"
    );
  let error = null;
  try {
    await pool.request().query("SELECT * FROM no_such_table");
  } catch (failure) {
    error = { number: failure.number, message: failure.message };
  }
  const columns = Object.values(query.recordset.columns).map((column) => column.type.declaration);
  console.log(JSON.stringify({ rows: query.recordset, columns, tables: tables.recordset, error }));
  await pool.close();
})().catch((failure) => {
  console.error("FAILED", failure && failure.message);
  process.exit(1);
});
