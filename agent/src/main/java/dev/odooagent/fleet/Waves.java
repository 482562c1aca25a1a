package dev.odooagent.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** The wave rules as pure functions over a snapshot of the group's records and which hosts are online. */
public final class Waves {

  /** How many canaries compute the gates; two, so that one canary going away does not stall the group. */
  public static final int WATCHERS = 2;

  private Waves() {
  }

  /** The canaries that compute gates: the {@link #WATCHERS} lowest host ids among the online hosts of wave 0. */
  public static List<String> watchers(Collection<FleetRecord> records, Predicate<String> online) {
    return records.stream().filter(r -> r.wave() == 0 && online.test(r.host())).map(FleetRecord::host)
        .sorted().limit(WATCHERS).toList();
  }

  /**
   * The digest the group rolls out: the one an online canary moved to last (a rolled-back digest never), or null
   * when no online canary runs anything.
   */
  public static String newestDigest(Collection<FleetRecord> records, Predicate<String> online, Set<String> rolledBack) {
    return records.stream()
        .filter(r -> r.wave() == 0 && online.test(r.host()) && r.digest() != null && !rolledBack.contains(r.digest()))
        .max(Comparator.comparing((FleetRecord r) -> r.since() == null ? Instant.MIN : r.since())
            .thenComparing(FleetRecord::digest))
        .map(FleetRecord::digest).orElse(null);
  }

  /**
   * The gate of {@code wave} for {@code digest}: open when every host of an earlier wave is online and has run the
   * digest with health {@code pass} for {@code soak}; otherwise it names, sorted, the hosts that have not (offline,
   * on another digest, unhealthy or still soaking).
   */
  public static Gate gate(int wave, String digest, Collection<FleetRecord> records, Predicate<String> online,
      Duration soak, Instant now, List<String> watchers, String by) {
    List<String> waiting = records.stream()
        .filter(r -> r.wave() < wave && !(online.test(r.host()) && r.soaked(digest, soak, now)))
        .map(FleetRecord::host).sorted().toList();
    return new Gate(wave, digest, digest != null && waiting.isEmpty(), waiting, watchers, by);
  }

  /** The waves above 0 that have at least one host, in order: each needs a gate. */
  public static List<Integer> gatedWaves(Collection<FleetRecord> records) {
    return records.stream().map(FleetRecord::wave).filter(w -> w > 0).distinct().sorted().toList();
  }
}
