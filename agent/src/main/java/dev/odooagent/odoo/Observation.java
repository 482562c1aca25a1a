package dev.odooagent.odoo;

/** What the agent last saw of the managed Odoo container; fields are null when unknown. */
public record Observation(
    String containerId,
    boolean running,
    String imageRef,
    String tag,
    String digest,
    String revision,
    String startedAt,
    int restartCount,
    OdooConf conf,
    Integer workerProcesses,
    HealthProbe.Result health) {

  /** Nothing seen yet. */
  public static Observation none() {
    return new Observation(null, false, null, null, null, null, null, 0, null, null, null);
  }

  /** The health verdict as CONTRACT.md spells it. */
  public String healthWord() {
    return health == null ? "unknown" : health.pass() ? "pass" : "fail";
  }
}
