package dev.odooagent.deploy;

import dev.odooagent.Agent;
import dev.odooagent.config.AgentConfig;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.InspectFixtures;
import dev.odooagent.odoo.HealthProbe;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One simulated host's container engine and health gate, for the fleet simulation: the engine-tier
 * {@link FakeDockerEngine} holding the captured compose container running v1, and a gate that takes {@code gateTime}
 * and fails every container of a digest in the shared {@code bad} set.
 */
public final class SimBackends implements Agent.Backends {
  /** The repository every simulated host runs. */
  public static final String REPO = DeployBed.REPO;
  /** The service container's name. */
  public static final String CONTAINER = "ut-x";

  private final FakeDockerEngine docker = new FakeDockerEngine();
  private final Duration gateTime;
  private final Set<String> bad;
  private final ImageInfo v1;
  private volatile Context context;

  /** A host whose gate answers after {@code gateTime}, failing the digests in {@code bad} (read at each gate). */
  public SimBackends(Duration gateTime, Set<String> bad) {
    this.gateTime = gateTime;
    this.bad = bad;
    JsonObject old = InspectFixtures.json(InspectFixtures.COMPOSE);
    v1 = InspectFixtures.image(InspectFixtures.json(InspectFixtures.IMAGE_V1));
    docker.add(old.getString("Id"), "old", CONTAINER, v1.id(), true, old);
    docker.addImage("v1", v1, true);
  }

  /** The digest the service container starts with. */
  public String v1Digest() {
    return v1.digestIn(REPO);
  }

  /** Pushes {@code digest} to this host's registry (v1's modules, so no upgrade); completes on the host's context. */
  public Future<Void> publish(String tag, String digest) {
    String id = "sha256:" + digest.substring(7, 71).replace('0', 'f');
    ImageInfo image = new ImageInfo(id, List.of(), List.of(REPO + "@" + digest), v1.labels(), v1.config(),
        Instant.parse(v1.created()).plusSeconds(60).toString());
    return on(() -> {
      docker.addImage(tag, image, false);
      return Future.succeededFuture();
    });
  }

  /** How many containers this host created from {@code digest} (the engine's own record of creations). */
  public Future<Integer> created(String digest) {
    return on(() -> Future.succeededFuture((int) docker.created.stream().map(s -> s.body().getString("Image"))
        .filter(ref -> ref.endsWith(digest) || ref.equals(imageIdOf(digest))).count()));
  }

  /**
   * What the service's health URL answers now: healthy while the service container runs a digest that is not bad
   * (the same rule as the gate), so that the agent's observer, and with it its fleet record, sees the gate's verdict.
   */
  public Future<Boolean> healthy() {
    return on(() -> {
      FakeDockerEngine.Box b = docker.find(CONTAINER);
      ImageInfo image = b == null ? null : docker.local.get(b.imageId);
      return Future.succeededFuture(b != null && b.running && image != null && !bad.contains(image.digestIn(REPO)));
    });
  }

  /** Drops the engine's call record (it grows with every observation). */
  public Future<Void> forgetCalls() {
    return on(() -> {
      docker.calls.clear();
      docker.mark();
      return Future.succeededFuture();
    });
  }

  private String imageIdOf(String digest) {
    return docker.local.values().stream().filter(i -> i.repoDigests().contains(REPO + "@" + digest))
        .map(ImageInfo::id).findFirst().orElse("");
  }

  /** Runs {@code work} on the host's context (the agent's), where its state may be read. */
  public <T> Future<T> on(java.util.function.Supplier<Future<T>> work) {
    Context c = context;
    if (c == null) {
      return work.get();
    }
    Promise<T> p = Promise.promise();
    c.runOnContext(v -> work.get().onComplete(p));
    return p.future();
  }

  @Override
  public DockerEngine docker(Vertx vertx, AgentConfig cfg) {
    context = vertx.getOrCreateContext();
    return docker;
  }

  @Override
  public HealthGate gate(Vertx vertx, AgentConfig cfg, DockerEngine engine, HealthProbe probe) {
    return new HealthGate() {
      @Override
      public Future<HealthGate.Verdict> await(String containerId, Duration timeout) {
        Promise<HealthGate.Verdict> p = Promise.promise();
        vertx.setTimer(Math.max(1, gateTime.toMillis()), t -> {
          FakeDockerEngine.Box b = docker.find(containerId);
          ImageInfo image = b == null ? null : docker.local.get(b.imageId);
          String digest = image == null ? null : image.digestIn(REPO);
          if (b == null || !b.running) {
            p.complete(new HealthGate.Verdict(false, "container " + containerId + " is not running"));
          } else if (digest != null && bad.contains(digest)) {
            p.complete(new HealthGate.Verdict(false, "the simulated health check fails for " + digest));
          } else {
            p.complete(new HealthGate.Verdict(true, ""));
          }
        });
        return p.future();
      }

      @Override
      public Future<HealthGate.Verdict> awaitAtOwnAddress(String containerId, Duration timeout) {
        return await(containerId, timeout);
      }
    };
  }

  /** A thread-safe set for {@link #SimBackends}'s bad digests. */
  public static Set<String> digestSet() {
    return ConcurrentHashMap.newKeySet();
  }
}
