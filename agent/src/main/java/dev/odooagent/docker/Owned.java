package dev.odooagent.docker;

import java.util.Objects;
import java.util.Optional;

/**
 * A container the agent may stop, rename or remove: one it created (it carries the agent's labels with the deploy id)
 * or the one service container a deploy adopted (by the id the journal recorded). The engine port takes only these,
 * so a container the agent did not make or adopt can never be touched.
 */
public final class Owned {
  private final String id;
  private final String why;

  private Owned(String id, String why) {
    this.id = Objects.requireNonNull(id, "id");
    this.why = why;
  }

  /** A container the engine just created for the agent. */
  static Owned created(String id, String deployId) {
    return new Owned(id, "created by deploy " + deployId);
  }

  /** The service container deploy {@code deployId} adopted, by the id its journal recorded. */
  public static Owned adopted(String containerId, String deployId) {
    return new Owned(containerId, "adopted by deploy " + deployId);
  }

  /** The container if it carries the agent's labels for {@code deployId}; empty for anyone else's. */
  public static Optional<Owned> labelled(ContainerInfo c, String deployId) {
    boolean ours = "true".equals(c.labels().get(ContainerSpecs.LABEL_MANAGED))
        && deployId.equals(c.labels().get(ContainerSpecs.LABEL_DEPLOY));
    return ours ? Optional.of(new Owned(c.id(), "labelled for deploy " + deployId)) : Optional.empty();
  }

  /** The container id. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id.substring(0, Math.min(12, id.length())) + " (" + why + ")";
  }
}
