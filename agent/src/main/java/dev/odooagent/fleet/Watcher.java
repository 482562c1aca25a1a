package dev.odooagent.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a canary knows of its group, and, while it is one of the {@link Waves#WATCHERS}, which gates it must publish.
 * Fed with records, statuses, gates and rolled-back digests as they arrive; no I/O.
 */
public final class Watcher {

  /** A gate whose only change is a shorter or longer waiting list is published at most this often. */
  public static final Duration COALESCE = Duration.ofSeconds(1);

  private final String self;
  private final Duration soak;
  private final Map<String, FleetRecord> records = new HashMap<>();
  private final Map<String, Boolean> online = new HashMap<>();
  private final Set<String> rolledBack = new HashSet<>();
  private final Map<Integer, Gate> published = new HashMap<>();
  private final Map<Integer, Instant> publishedAt = new HashMap<>();

  /** A watcher for host {@code self}, soaking each digest for {@code soak}. */
  public Watcher(String self, Duration soak) {
    this.self = self;
    this.soak = soak;
  }

  /** A host's record arrived (null: it was cleared). */
  public void record(String host, FleetRecord record) {
    if (record == null) {
      records.remove(host);
    } else {
      records.put(host, record);
    }
  }

  /** A host's retained status arrived: online unless its state is {@code offline} (its last will). */
  public void status(String host, boolean isOnline) {
    online.put(host, isOnline);
  }

  /** A digest was rolled back somewhere in the group. */
  public void rolledBack(String digest) {
    rolledBack.add(digest);
  }

  /** A gate as the broker holds it (from this or the other watcher). */
  public void gate(Gate gate) {
    published.put(gate.wave(), gate);
  }

  /** Whether the host is online as far as its retained status tells (unknown counts as offline). */
  public boolean online(String host) {
    return online.getOrDefault(host, false);
  }

  /** The canaries that compute gates now. */
  public List<String> watchers() {
    return Waves.watchers(records.values(), this::online);
  }

  /** Whether this host is one of them. */
  public boolean watching() {
    return watchers().contains(self);
  }

  /** The hosts of wave 0 this canary knows of (their statuses tell who is online). */
  public List<String> canaries() {
    return records.values().stream().filter(r -> r.wave() == 0).map(FleetRecord::host).sorted().toList();
  }

  /**
   * The gates to publish at {@code now}: those that differ from what the broker holds, except that a change of the
   * waiting list alone waits until {@link #COALESCE} has passed since this watcher last published that gate. Each
   * returned gate counts as published.
   */
  public List<Gate> due(Instant now) {
    List<Gate> out = new ArrayList<>();
    if (!watching()) {
      return out;
    }
    List<String> watchers = watchers();
    String digest = Waves.newestDigest(records.values(), this::online, rolledBack);
    for (int wave : Waves.gatedWaves(records.values())) {
      Gate next = Waves.gate(wave, digest, records.values(), this::online, soak, now, watchers, self);
      Gate held = published.get(wave);
      if (next.sameAs(held)) {
        continue;
      }
      Instant last = publishedAt.get(wave);
      if (next.onlyWaitingDiffers(held) && last != null && now.isBefore(last.plus(COALESCE))) {
        continue;
      }
      published.put(wave, next);
      publishedAt.put(wave, now);
      out.add(next);
    }
    return out;
  }
}
