package dev.odooagent.odoo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of an effective odoo.conf that the agent reports, with Odoo's own defaults for absent keys.
 * Secrets (db_password, admin_passwd) are never kept.
 */
public record OdooConf(
    int workers,
    int maxCronThreads,
    int dbMaxconn,
    long limitMemorySoft,
    long limitMemoryHard,
    int httpPort,
    boolean proxyMode,
    String dataDir) {

  /** The default path of the config file in the official image. */
  public static final String DEFAULT_PATH = "/etc/odoo/odoo.conf";
  private static final List<String> SECRET_KEYS = List.of("db_password", "admin_passwd", "smtp_password");

  /** Parses the {@code [options]} section of an odoo.conf; unparsable numbers fall back to Odoo's defaults. */
  public static OdooConf parse(String text) {
    Map<String, String> o = options(text);
    return new OdooConf(
        intOr(o.get("workers"), 0),
        intOr(o.get("max_cron_threads"), 2),
        intOr(o.get("db_maxconn"), 64),
        longOr(o.get("limit_memory_soft"), 2048L * 1024 * 1024),
        longOr(o.get("limit_memory_hard"), 2560L * 1024 * 1024),
        intOr(o.get("http_port"), 8069),
        Boolean.parseBoolean(o.getOrDefault("proxy_mode", "False").toLowerCase(Locale.ROOT)),
        o.getOrDefault("data_dir", "/var/lib/odoo"));
  }

  /** db_host, db_port and db_user of an odoo.conf (those it sets); never its password. */
  public static Map<String, String> connection(String text) {
    Map<String, String> o = options(text);
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : List.of("db_host", "db_port", "db_user")) {
      if (o.containsKey(key)) {
        out.put(key, o.get(key));
      }
    }
    return out;
  }

  /** The non-secret key/values of the {@code [options]} section. */
  static Map<String, String> options(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    boolean inOptions = false;
    for (String raw : text.split("\\R")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        inOptions = line.equalsIgnoreCase("[options]");
        continue;
      }
      int eq = line.indexOf('=');
      if (inOptions && eq > 0) {
        String key = line.substring(0, eq).strip();
        if (!SECRET_KEYS.contains(key)) {
          out.put(key, line.substring(eq + 1).strip());
        }
      }
    }
    return out;
  }

  /** Where a container's Odoo reads its config, from its inspect JSON (entrypoint, command and environment). */
  public static String pathIn(JsonObject container) {
    JsonObject cfg = container.getJsonObject("Config", new JsonObject());
    List<String> command = new ArrayList<>();
    for (String key : List.of("Entrypoint", "Cmd")) {
      JsonArray a = cfg.getJsonArray(key);
      if (a != null) {
        a.forEach(x -> command.add(String.valueOf(x)));
      }
    }
    Map<String, String> env = new HashMap<>();
    cfg.getJsonArray("Env", new JsonArray()).forEach(e -> {
      String kv = String.valueOf(e);
      int eq = kv.indexOf('=');
      if (eq > 0) {
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    });
    return pathFrom(command, env);
  }

  /** Where the running Odoo reads its config: {@code -c}/{@code --config} in its command, else ODOO_RC, else the default. */
  public static String pathFrom(List<String> command, Map<String, String> env) {
    for (int i = 0; i < command.size(); i++) {
      String a = command.get(i);
      if ((a.equals("-c") || a.equals("--config")) && i + 1 < command.size()) {
        return command.get(i + 1);
      }
      if (a.startsWith("--config=")) {
        return a.substring("--config=".length());
      }
    }
    String rc = env.get("ODOO_RC");
    return rc == null || rc.isBlank() ? DEFAULT_PATH : rc;
  }

  /** How many of the given process command lines are Odoo HTTP workers (titled {@code odoo: WorkerHTTP}). */
  public static int countHttpWorkers(List<String> commandLines) {
    return (int) commandLines.stream().filter(c -> c.startsWith("odoo: WorkerHTTP")).count();
  }

  private static int intOr(String v, int dflt) {
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private static long longOr(String v, long dflt) {
    try {
      return v == null ? dflt : Long.parseLong(v);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
