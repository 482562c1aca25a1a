package dev.odooagent.odoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The commands of the database/filestore tool that runs in one-shot containers of the Odoo image. */
public final class DbTool {
  /** Exit code of {@code exists}/{@code snapshot} when the database is missing. */
  public static final int MISSING = 3;
  private static final String SCRIPT = load();

  private DbTool() {}

  private static String load() {
    try (InputStream in = DbTool.class.getResourceAsStream("dbtool.py")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>(List.of("python3", "-c", SCRIPT));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Exits 0 when the database exists, {@link #MISSING} when not. */
  public static List<String> exists(String db) {
    return command("exists", db);
  }

  /** Copies the database ({@code CREATE DATABASE copy TEMPLATE db}) and hard-links its filestore. */
  public static List<String> snapshot(String db, String copy) {
    return command("snapshot", db, copy);
  }

  /** Puts the copy back in place of the database and its filestore; idempotent. */
  public static List<String> restore(String db, String copy) {
    return command("restore", db, copy);
  }

  /** Drops the copy and its filestore; idempotent. */
  public static List<String> drop(String copy) {
    return command("drop", copy, copy);
  }

  /** Prints the module manifests found on the addons path as one {@code ODOO_AGENT_MANIFESTS {...}} line. */
  public static List<String> manifests(String addonsPath) {
    return command("manifests", addonsPath);
  }

  /** The name of the safety copy of {@code db} for a deploy. */
  public static String copyName(String db, String deployId) {
    String suffix = "__pre_" + deployId.replaceAll("[^A-Za-z0-9]", "").toLowerCase();
    // shorten the database part, never the suffix: a copy named like the database would make drop hit the live one
    return db.substring(0, Math.min(db.length(), 63 - suffix.length())) + suffix;
  }
}
