package dev.odooagent.sim;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The fleet simulation's result as the "Fleet simulation" section of BENCHMARKS.md and as a terminal table. */
final class Report {
  static final String BEGIN = "<!-- fleet-sim:begin (written by scripts/fleet-sim; scripts/bench keeps it) -->";
  static final String END = "<!-- fleet-sim:end -->";

  private Report() {}

  /** Where the simulation ran: date, CPU, memory, JVM. */
  static JsonObject machine() {
    return new JsonObject().put("date", java.time.Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC")
        .put("cpu", firstLine("/proc/cpuinfo", "model name")).put("cores", Runtime.getRuntime().availableProcessors())
        .put("memory", firstLine("/proc/meminfo", "MemTotal"))
        .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
  }

  private static String firstLine(String file, String key) {
    try {
      return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(key)).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  /** The goals each run met or missed, as sentences; empty when all were met. */
  static List<String> misses(JsonObject r) {
    List<String> out = new ArrayList<>();
    double goal = r.getLong("goal_ms") / 1000.0;
    for (Object o : r.getJsonArray("runs")) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good");
      if (good != null && good.getDouble("converged_s") > goal) {
        out.add(String.format(Locale.ROOT, "N=%d: converged in %.1f s, over the goal of %.1f s", run.getInteger("n"),
            good.getDouble("converged_s"), goal));
      }
      JsonObject bad = run.getJsonObject("bad_canary");
      if (bad != null && bad.getInteger("non_canary_hosts_started_bad") > 0) {
        out.add(String.format(Locale.ROOT, "N=%d: %d non-canary hosts started the digest the canary rolled back",
            run.getInteger("n"), bad.getInteger("non_canary_hosts_started_bad")));
      }
    }
    double k = exponent(r.getJsonArray("runs"));
    if (k > 1.3) {
      out.add(String.format(Locale.ROOT, "broker deliveries per rollout grow like N^%.2f, not O(N)", k));
    }
    if (r.getString("error") != null) {
      out.add("the simulation broke off: " + r.getString("error"));
    }
    return out;
  }

  /** The least-squares slope of log(deliveries) over log(N) for the good rollouts (1 = linear, 2 = quadratic). */
  static double exponent(JsonArray runs) {
    List<double[]> pts = new ArrayList<>();
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good");
      if (good != null && good.getLong("deliveries", 0L) > 0) {
        pts.add(new double[] {Math.log(run.getInteger("n")), Math.log(good.getLong("deliveries"))});
      }
    }
    if (pts.size() < 2) {
      return Double.NaN;
    }
    double mx = pts.stream().mapToDouble(p -> p[0]).average().orElse(0);
    double my = pts.stream().mapToDouble(p -> p[1]).average().orElse(0);
    double num = pts.stream().mapToDouble(p -> (p[0] - mx) * (p[1] - my)).sum();
    double den = pts.stream().mapToDouble(p -> (p[0] - mx) * (p[0] - mx)).sum();
    return num / den;
  }

  /** Renders a result file again: {@code Report <result.json> <out.md> <command>}. */
  public static void main(String[] args) throws IOException {
    JsonObject r = new JsonObject(Files.readString(Path.of(args[0])));
    Files.writeString(Path.of(args[1]), markdown(r, args[2], r.getInteger("waves", 3)));
    System.out.print(table(r));
  }

  /** A plain table for the terminal. */
  static String table(JsonObject r) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%6s %14s %8s %8s %8s %8s %8s %11s %9s %8s %9s%n", "N", "waves", "wave0 s",
        "wave1 s", "wave2 s", "goal s", "msgs", "msgs/host", "cpu s", "heap/h", "bad>0"));
    for (Object o : r.getJsonArray("runs")) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good", new JsonObject());
      JsonObject bad = run.getJsonObject("bad_canary", new JsonObject());
      JsonArray waves = good.getJsonArray("waves", new JsonArray());
      b.append(String.format(Locale.ROOT, "%6d %14s %8s %8s %8s %8.1f %8s %11s %9s %6skB %9s%n", run.getInteger("n"),
          run.getJsonArray("wave_sizes").encode(), wave(waves, 0), wave(waves, 1), wave(waves, 2), r.getLong("goal_ms") / 1000.0,
          good.getValue("deliveries", "-"), perHost(good, run), good.getValue("agents_cpu_s", "-"),
          run.getValue("heap_per_host_kb", "-"), bad.getValue("non_canary_hosts_started_bad", "-")));
    }
    List<String> misses = misses(r);
    b.append(misses.isEmpty() ? "all goals met\n" : "MISSED: " + String.join("; ", misses) + "\n");
    return b.toString();
  }

  private static String wave(JsonArray waves, int k) {
    return k < waves.size() ? String.format(Locale.ROOT, "%.2f", waves.getJsonObject(k).getDouble("converged_s")) : "-";
  }

  private static String perHost(JsonObject rollout, JsonObject run) {
    return rollout.getValue("deliveries") == null ? "-"
        : String.format(Locale.ROOT, "%.2f", rollout.getLong("deliveries") / (double) run.getInteger("n"));
  }

  /** The BENCHMARKS.md section, between its markers. */
  static String markdown(JsonObject r, String command, int waves) {
    JsonObject m = r.getJsonObject("machine", new JsonObject());
    double goal = r.getLong("goal_ms") / 1000.0;
    StringBuilder b = new StringBuilder();
    b.append(BEGIN).append("\n## Fleet simulation\n\n");
    b.append(String.format(Locale.ROOT, "Run on %s: %s, %d cores (shared with other work), %s RAM, %s; Mosquitto %s."
        + " Command: `%s`.%n%n", m.getString("date"), m.getString("cpu"), m.getInteger("cores", 0), m.getString("memory"),
        m.getString("jvm"), r.getString("mosquitto", "?"), command));
    b.append(String.format(Locale.ROOT, "N simulated hosts run in one JVM (max heap %d MB), each a real `Agent` (engine,"
        + " deployer, journal and state on tmpfs, MQTT bridge with its own connection, fleet logic) over its own engine-tier"
        + " fake container engine (`FakeDockerEngine`) and a simulated health gate that answers after %.1f s and fails every"
        + " container of a \"bad\" digest. One real Mosquitto, started by the script on a free loopback port. Settings:"
        + " %d waves (1 %%, 9 %%, the rest), `fleet.soak: %.1fs`, `deploy.coalesce_window: %dms` (one tag event, no burst to"
        + " absorb). Each agent's observer probes its health URL every 2 s (the default) on one HTTP endpoint of the simulation that"
        + " answers from that host's fake engine by the gate's rule, so the fleet records carry the simulated health. Goal: waves × (gate + soak) + 5 s = **%.1f s**. A rollout is one tag event on"
        + " `P/tags` with its digest; a wave has converged when each of its hosts' own status shows the digest as current"
        + " and the host idle (polled every 200 ms on each agent's context). Broker deliveries are the increase of"
        + " `$SYS/broker/publish/messages/sent` (PUBLISH packets the broker sent to subscribers; `$SYS/broker/messages/sent`"
        + " would also count acks and pings) from a quiet broker before the event to a quiet broker after convergence,"
        + " minus the $SYS updates the measuring client itself received. CPU is this JVM's process CPU time (all agents,"
        + " plus the measuring) over the rollout, and the broker's from /proc.%n%n", r.getLong("max_heap_mb", 0L),
        r.getLong("gate_ms") / 1000.0, waves, r.getLong("soak_ms") / 1000.0, r.getLong("coalesce_ms"), goal));
    if (!r.getBoolean("fleet", true)) {
      b.append("**Without fleet settings**: every host deploys on the tag event at once (one wave).\n\n");
    }
    b.append("Idle CPU is the JVM's CPU over 5 s with nothing to deploy, in % of one core (observers, status timers, the"
        + " simulation's health endpoint). Heap per host: used heap after a full GC with the hosts started, minus before,"
        + " divided by N.\n\n");
    b.append("| hosts | waves | start | heap per host | idle CPU | wave 0 | wave 1 | wave 2 | goal | broker deliveries | per host | agents' CPU | broker CPU |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Object o : r.getJsonArray("runs")) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good", new JsonObject());
      JsonArray w = good.getJsonArray("waves", new JsonArray());
      b.append(String.format(Locale.ROOT, "| %d | %s | %.1f s | %s kB | %.1f %% | %s s | %s s | %s s | %.1f s | %s | %s | %s s | %s s |%n",
          run.getInteger("n"), run.getJsonArray("wave_sizes").encode().replace(",", " / ").replaceAll("[\\[\\]]", ""),
          run.getDouble("start_s", 0.0), run.getValue("heap_per_host_kb", "?"), run.getDouble("idle_cpu_pct", 0.0),
          wave(w, 0), wave(w, 1), wave(w, 2), goal, good.getValue("deliveries", "-"), perHost(good, run),
          good.getValue("agents_cpu_s", "-"), good.getValue("broker_cpu_s", "-")));
    }
    double k = exponent(r.getJsonArray("runs"));
    b.append(String.format(Locale.ROOT, "%nBroker deliveries per good rollout grow like N^%.2f over these sizes (1 = O(N), 2 = O(N²))",
        k));
    JsonArray runs = r.getJsonArray("runs");
    for (int i = 1; i < runs.size(); i++) {
      JsonObject a = runs.getJsonObject(i - 1).getJsonObject("good");
      JsonObject c = runs.getJsonObject(i).getJsonObject("good");
      if (a != null && c != null && a.getLong("deliveries", 0L) > 0) {
        b.append(String.format(Locale.ROOT, "; N %d → %d: ×%.1f", runs.getJsonObject(i - 1).getInteger("n"),
            runs.getJsonObject(i).getInteger("n"), c.getLong("deliveries") / (double) a.getLong("deliveries")));
      }
    }
    b.append(".\n\nWhat the agents published per good rollout (each seen once by the measuring client), and the deliveries the"
        + " gates alone account for (publications of `gate/k` × the hosts of wave k, which all subscribe to it):\n\n");
    b.append("| hosts | statuses | fleet records | gate publications by wave | deliveries of gates | all deliveries |\n");
    b.append("|---|---|---|---|---|---|\n");
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good");
      JsonObject p = good == null ? null : good.getJsonObject("published");
      if (p == null) {
        continue;
      }
      JsonArray sizes = run.getJsonArray("wave_sizes");
      long gateDeliveries = 0;
      List<String> gates = new ArrayList<>();
      for (int w = 1; w < sizes.size(); w++) {
        long g = p.getLong("gate/" + w, 0L);
        gates.add("wave " + w + ": " + g);
        gateDeliveries += g * sizes.getInteger(w);
      }
      b.append(String.format(Locale.ROOT, "| %d | %d | %d | %s | %d | %s |%n", run.getInteger("n"), p.getLong("status", 0L),
          p.getLong("record", 0L), String.join(", ", gates), gateDeliveries, good.getValue("deliveries")));
    }
    b.append("\nWho receives them: the tag event goes to every host; `gate/k` to the hosts of wave k; each fleet record and each"
        + " status to the canaries that compute the gates (`fleet.Waves.WATCHERS` = 2, or fewer when wave 0 is smaller),"
        + " which follow every record and every status of the group; the watchers' statuses to every host.");
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonObject good = run.getJsonObject("good");
      JsonObject p = good == null ? null : good.getJsonObject("published");
      if (p == null) {
        continue;
      }
      int watchers = Math.min(2, run.getJsonArray("wave_sizes").getInteger(0));
      long toWatchers = (p.getLong("status", 0L) + p.getLong("record", 0L)) * watchers;
      b.append(String.format(Locale.ROOT, " N=%d: %d watcher%s, so statuses and records make about %d of the %d deliveries"
          + " (%.0f %%).", run.getInteger("n"), watchers, watchers == 1 ? "" : "s", toWatchers, good.getLong("deliveries"),
          100.0 * toWatchers / good.getLong("deliveries")));
    }
    b.append("\n\nTime from one wave converged to the next (the goal allows gate + soak = ")
        .append(String.format(Locale.ROOT, "%.1f s per wave, plus 5 s in all):", (r.getLong("gate_ms") + r.getLong("soak_ms")) / 1000.0));
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonArray w = run.getJsonObject("good", new JsonObject()).getJsonArray("waves", new JsonArray());
      List<String> steps = new ArrayList<>();
      for (int i = 0; i < w.size(); i++) {
        double prev = i == 0 ? 0 : w.getJsonObject(i - 1).getDouble("converged_s");
        steps.add(String.format(Locale.ROOT, "%.1f s", w.getJsonObject(i).getDouble("converged_s") - prev));
      }
      b.append(String.format(Locale.ROOT, " N=%d: %s;", run.getInteger("n"), String.join(" + ", steps)));
    }
    b.setLength(b.length() - 1);
    b.append(". The first step starts at the tag event.\n");
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      if (run.getLong("clients_left_connected", 0L) > 0) {
        b.append(String.format(Locale.ROOT, "%nN=%d: %d MQTT client(s) were still connected 30 s after every agent of that"
            + " size had been stopped (undeployed).%n", run.getInteger("n"), run.getLong("clients_left_connected")));
      }
    }
    b.append("\nA canary that fails: the same, with a digest whose gate fails on every host. Counted from each fake"
        + " engine's record of container creations, watched for one goal's length after the canaries rolled back.\n\n");
    b.append("| hosts | canaries rolled back after | non-canary hosts that created the bad digest (goal 0) | canary creations | broker deliveries | agents' CPU |\n");
    b.append("|---|---|---|---|---|---|\n");
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonObject bad = run.getJsonObject("bad_canary");
      if (bad != null) {
        b.append(String.format(Locale.ROOT, "| %d | %.1f s | %d | %d | %s | %s s |%n", run.getInteger("n"),
            bad.getDouble("canary_rolled_back_s"), bad.getInteger("non_canary_hosts_started_bad"),
            bad.getInteger("canary_creations_of_bad"), bad.getValue("deliveries"), bad.getValue("agents_cpu_s")));
      }
    }
    List<String> misses = misses(r);
    b.append('\n').append(misses.isEmpty() ? "All goals met." : "**Missed:** " + String.join("; ", misses) + ".").append('\n');
    b.append(END).append('\n');
    return b.toString();
  }
}
