// Drives pgJDBC against `bbsql serve` the way Tableau and DBeaver do: DatabaseMetaData, then a
// PreparedStatement. Prints tab-separated lines the Python test parses. Run with the single-file
// source launcher: java -cp postgresql.jar JdbcProbe.java URL USER PASSWORD REPO
import java.sql.*;

public class JdbcProbe {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
            DatabaseMetaData meta = c.getMetaData();
            System.out.println("product\t" + meta.getDatabaseProductName() + "\t" + meta.getDatabaseProductVersion());
            try (ResultSet rs = meta.getSchemas()) {
                while (rs.next()) System.out.println("schema\t" + rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = meta.getTables(null, "acme", "%", new String[] {"TABLE"})) {
                while (rs.next()) System.out.println("table\t" + rs.getString("TABLE_NAME"));
            }
            try (ResultSet rs = meta.getColumns(null, "acme", "pull_requests", "%")) {
                while (rs.next()) System.out.println("column\t" + rs.getString("COLUMN_NAME") + "\t" + rs.getString("TYPE_NAME") + "\t" + rs.getInt("DATA_TYPE"));
            }
            try (ResultSet rs = meta.getPrimaryKeys(null, "acme", "pull_requests")) {
                while (rs.next()) System.out.println("pk\t" + rs.getString("COLUMN_NAME") + "\t" + rs.getInt("KEY_SEQ"));
            }
            String sql = "SELECT id, title, draft, comment_count, created_on, reviewers FROM pull_requests "
                + "WHERE repository = ? ORDER BY id LIMIT 5";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, args[3]);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        OffsetDateTime_print(rs);
                    }
                }
            }
            // Fetching in chunks: a transaction, Execute with a row limit, PortalSuspended.
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setFetchSize(2);
                ps.setString(1, args[3]);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) System.out.println("chunked\t" + rs.getLong(1));
                }
            }
            c.commit();
        }
    }

    static void OffsetDateTime_print(ResultSet rs) throws SQLException {
        java.time.OffsetDateTime created = rs.getObject(5, java.time.OffsetDateTime.class);
        System.out.println("row\t" + rs.getLong(1) + "\t" + rs.getString(2) + "\t" + rs.getBoolean(3) + "\t"
            + rs.getLong(4) + "\t" + created.toInstant().toString() + "\t" + rs.getString(6));
    }
}
