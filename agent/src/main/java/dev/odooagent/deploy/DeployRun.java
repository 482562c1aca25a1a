package dev.odooagent.deploy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * One deploy as the journal knows it: what it moves from and to, the last step it completed, and its verdict.
 * Immutable: each step returns the next one. Its JSON form is the journal's record and, summarised, /history's.
 *
 * @param modules the modules to upgrade, null until planned
 * @param copy the safety copy taken before the upgrade, null if none
 * @param restoreFrom the kept copy a {@code rollback --restore-database} puts back, null otherwise
 * @param aside the name the old container was renamed to while the new one runs
 * @param newContainerId the container this deploy created for the service
 * @param done the last step completed, null before the first
 * @param strategy how the new container replaces the old one, null until planned
 */
public record DeployRun(
    String id,
    String source,
    Kind kind,
    Instant started,
    Image to,
    Adopted from,
    List<String> modules,
    String copy,
    String restoreFrom,
    String aside,
    String newContainerId,
    Step done,
    RollbackReason rollbackReason,
    String reason,
    String outcome,
    Instant finished,
    String upgradeTail,
    Strategy strategy) {

  /** How the new container replaces the old one. */
  public enum Strategy {
    /** Stop the old container, then start the new one in its place (needed around a module upgrade). */
    RECREATE("recreate"),
    /** Start the new container beside the old one, gate it, then stop the old one: no moment without a server. */
    START_FIRST("start-first");

    private final String word;

    Strategy(String word) {
      this.word = word;
    }

    /** The name the journal and the config use. */
    public String word() {
      return word;
    }

    static Strategy of(String word) {
      return word == null ? null : START_FIRST.word.equals(word) ? START_FIRST : RECREATE;
    }
  }

  /** Who asked, and for what: only operators may move a host backwards. */
  public enum Kind {
    /** A webhook, registry notification, MQTT tag event or poll. */
    TRIGGER,
    /** An operator's deploy, pin, unpin or approve. */
    OPERATOR,
    /** An operator's rollback that keeps the database as it is. */
    ROLLBACK_CODE_ONLY,
    /** An operator's rollback that also puts back the database and filestore from the kept safety copy. */
    ROLLBACK_RESTORE;

    /** Whether an operator asked for it. */
    public boolean operator() {
      return this != TRIGGER;
    }

    /** Whether it is an operator's rollback. */
    public boolean rollback() {
      return this == ROLLBACK_CODE_ONLY || this == ROLLBACK_RESTORE;
    }
  }

  /** An image version: tag (may be null) and digest (null until resolved). */
  public record Image(String tag, String digest) {
    JsonObject json() {
      return new JsonObject().put("tag", tag).put("digest", digest);
    }

    static Image of(JsonObject o) {
      return o == null ? null : new Image(o.getString("tag"), o.getString("digest"));
    }
  }

  /** The service container the deploy adopted, by id, and the image it ran. */
  public record Adopted(String tag, String digest, String containerId, String imageId, String container) {
    /** Its image version. */
    public Image image() {
      return new Image(tag, digest);
    }

    JsonObject json() {
      return new JsonObject().put("tag", tag).put("digest", digest).put("container_id", containerId)
          .put("image_id", imageId).put("container", container);
    }

    static Adopted of(JsonObject o) {
      return o == null || o.getString("container_id") == null ? null : new Adopted(o.getString("tag"), o.getString("digest"),
          o.getString("container_id"), o.getString("image_id"), o.getString("container"));
    }
  }

  /** A new deploy of {@code to}, nothing done yet. */
  public static DeployRun start(String id, String source, Kind kind, Instant started, Image to) {
    return new DeployRun(id, source, kind, started, to, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Whether {@code step} is done. */
  public boolean did(Step step) {
    return done != null && done.ordinal() >= step.ordinal();
  }

  /** With {@code step} completed. */
  public DeployRun after(Step step) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, newContainerId, step,
        rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the resolved target. */
  public DeployRun to(Image image) {
    return new DeployRun(id, source, kind, started, image, from, modules, copy, restoreFrom, aside, newContainerId, done,
        rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the adopted service container. */
  public DeployRun from(Adopted adopted) {
    return new DeployRun(id, source, kind, started, to, adopted, modules, copy, restoreFrom, aside, newContainerId, done,
        rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the planned modules and the copies involved. */
  public DeployRun planned(List<String> modules, String copy, String restoreFrom) {
    return new DeployRun(id, source, kind, started, to, from, List.copyOf(modules), copy, restoreFrom, aside, newContainerId,
        done, rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the strategy the plan chose. */
  public DeployRun strategy(Strategy chosen) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, newContainerId, done,
        rollbackReason, reason, outcome, finished, upgradeTail, chosen);
  }

  /** Whether the new container starts beside the old one. */
  public boolean startFirst() {
    return strategy == Strategy.START_FIRST;
  }

  /** With the aside name of the old container. */
  public DeployRun aside(String name) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, name, newContainerId, done,
        rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the id of the container created for the service. */
  public DeployRun created(String containerId) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, containerId, done,
        rollbackReason, reason, outcome, finished, upgradeTail, strategy);
  }

  /** With the upgrade's output tail. */
  public DeployRun upgradeTail(String tail) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, newContainerId, done,
        rollbackReason, reason, outcome, finished, tail, strategy);
  }

  /** Being rolled back for {@code why}. */
  public DeployRun rollingBack(RollbackReason why, String detail) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, newContainerId, done,
        why, detail, outcome, finished, upgradeTail, strategy);
  }

  /** With its verdict. */
  public DeployRun verdict(String outcome, String reason, Instant at) {
    return new DeployRun(id, source, kind, started, to, from, modules, copy, restoreFrom, aside, newContainerId, done,
        rollbackReason, reason, outcome, at, upgradeTail, strategy);
  }

  /** The journal's record. */
  public JsonObject json() {
    return new JsonObject().put("id", id).put("source", source).put("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
        .put("started", started.toString()).put("to", to.json()).put("from", from == null ? null : from.json())
        .put("modules", modules == null ? null : new JsonArray(modules)).put("copy", copy).put("restore_from", restoreFrom)
        .put("old_aside", aside).put("new_container_id", newContainerId).put("done", done == null ? null : done.word())
        .put("rollback_reason", rollbackReason == null ? null : rollbackReason.word()).put("reason", reason)
        .put("outcome", outcome).put("finished", finished == null ? null : finished.toString()).put("upgrade_tail", upgradeTail)
        .put("strategy", strategy == null ? null : strategy.word());
  }

  /** A run from its journal record; records written before the typed steps are read by their old flags. */
  public static DeployRun of(JsonObject r) {
    Step done = r.getString("done") != null ? Step.of(r.getString("done"))
        : r.getBoolean("gate_passed", false) ? Step.AWAIT_HEALTHY
        : r.getBoolean("snapshot_done", false) ? Step.SNAPSHOT
        : r.getBoolean("stopped_old", false) ? Step.STOP_OLD : null;
    Kind kind = r.getString("kind") != null ? Kind.valueOf(r.getString("kind").toUpperCase(java.util.Locale.ROOT))
        : r.getBoolean("manual", false) ? Kind.ROLLBACK_CODE_ONLY : Kind.TRIGGER;
    JsonArray modules = r.getJsonArray("modules");
    return new DeployRun(r.getString("id"), r.getString("source"), kind, Instant.parse(r.getString("started")),
        Image.of(r.getJsonObject("to")), Adopted.of(r.getJsonObject("from")),
        modules == null ? null : modules.stream().map(String::valueOf).toList(), r.getString("copy"),
        r.getString("restore_from"), r.getString("old_aside"), r.getString("new_container_id"), done,
        r.getString("rollback_reason") == null ? null : RollbackReason.of(r.getString("rollback_reason")),
        r.getString("reason"), r.getString("outcome"),
        r.getString("finished") == null ? null : Instant.parse(r.getString("finished")), r.getString("upgrade_tail"),
        Strategy.of(r.getString("strategy")));
  }
}
