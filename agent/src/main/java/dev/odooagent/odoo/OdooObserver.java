package dev.odooagent.odoo;

import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the managed Odoo container every interval: its health, effective odoo.conf, worker processes,
 * memory and restarts, and the image it runs. Publishes each observation to the metrics.
 */
public final class OdooObserver {
  private static final Logger LOG = LoggerFactory.getLogger(OdooObserver.class);
  /** The image label carrying the source revision. */
  public static final String REVISION_LABEL = "org.opencontainers.image.revision";
  private volatile String engineProblem;

  private final Vertx vertx;
  private final DockerEngine docker;
  private final HealthProbe probe;
  private final Metrics metrics;
  private final String containerName;
  private final String repository;
  private final Duration interval;
  private final TagNames tagNames;
  private final AtomicReference<Observation> latest = new AtomicReference<>(Observation.none());
  private String confKey;
  private OdooConf conf;
  private long timer = -1;
  private boolean busy;
  private boolean sampling;
  private String lastProblem;

  /** Tells the tag the agent deployed a digest under, when the container runs it by digest. */
  @FunctionalInterface
  public interface TagNames {
    /** The tag recorded for {@code digest}, or null. */
    String tagOf(String digest);
  }

  /** An observer of {@code containerName}, whose image lives in {@code repository}. */
  public OdooObserver(Vertx vertx, DockerEngine docker, HealthProbe probe, Metrics metrics,
      String containerName, String repository, Duration interval, TagNames tagNames) {
    this.vertx = vertx;
    this.docker = docker;
    this.probe = probe;
    this.metrics = metrics;
    this.containerName = containerName;
    this.repository = repository;
    this.interval = interval;
    this.tagNames = tagNames;
  }

  /** Runs the first observation now, then one every interval. */
  public Future<Observation> start() {
    Future<Observation> first = observe();
    timer = vertx.setPeriodic(interval.toMillis(), id -> {
      if (!busy) {
        observe();
      }
    });
    return first;
  }

  /** Stops observing. */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Why the container engine did not answer the last observation, or null when it did. */
  public String engineProblem() {
    return engineProblem;
  }

  /** The latest observation. */
  public Observation latest() {
    return latest.get();
  }

  /** Observes once now and publishes the result. */
  public Future<Observation> observe() {
    busy = true;
    Future<Optional<ContainerInfo>> found = docker.inspectContainer(containerName)
        .onSuccess(x -> engineProblem = null)
        .onFailure(e -> engineProblem = e.getMessage());
    // in health_url's alias form the container's address comes from its inspect
    Future<HealthProbe.Result> health = found.map(c -> c.orElse(null)).otherwise((ContainerInfo) null)
        .compose(c -> probe.probe(probe.at(c, false)));
    Future<Observation> container = found
        .compose(this::details)
        .recover(e -> {
          note("cannot observe container " + containerName + ": " + e.getMessage());
          return Future.succeededFuture(Observation.none());
        });
    return Future.all(health, container).map(all -> {
      Observation c = container.result();
      Observation o = new Observation(c.containerId(), c.running(), c.imageRef(), c.tag(), c.digest(), c.revision(),
          c.startedAt(), c.restartCount(), c.conf(), c.workerProcesses(), health.result());
      latest.set(o);
      publish(o);
      return o;
    }).onComplete(x -> busy = false);
  }

  private Future<Observation> details(Optional<ContainerInfo> found) {
    if (found.isEmpty()) {
      note("container " + containerName + " not found (check service.container)");
      return Future.succeededFuture(Observation.none());
    }
    ContainerInfo c = found.get();
    Future<Optional<ImageInfo>> image = docker.inspectImage(c.imageId());
    Future<OdooConf> confF = c.running() ? effectiveConf(c) : Future.succeededFuture(conf);
    Future<Integer> workers = c.running()
        ? docker.processCommandLines(c.id()).map(OdooConf::countHttpWorkers).otherwise((Integer) null)
        : Future.succeededFuture(0);
    if (c.running()) {
      sampleMemory(c.id());
    } else {
      publishMemory(new dev.odooagent.docker.MemoryStats(0, 0));
    }
    return Future.join(image, confF, workers).transform(ar -> {
      ImageInfo img = image.succeeded() ? image.result().orElse(null) : null;
      String digest = img == null ? null : img.digestIn(repository);
      String tag = tagOf(c.imageRef());
      if (tag == null && digest != null) {
        tag = tagNames.tagOf(digest);
      }
      String revision = img == null ? null : img.labels().get(REVISION_LABEL);
      return Future.succeededFuture(new Observation(c.id(), c.running(), c.imageRef(), tag, digest, revision,
          c.startedAt(), c.restartCount(), confF.succeeded() ? confF.result() : conf,
          workers.succeeded() ? workers.result() : null, null));
    });
  }

  /**
   * Reads the container's memory off the observation's path: the engine answers stats only on its next 1 s
   * collection tick, which would otherwise hold up every observation and the agent's start. One request at a time.
   */
  private void sampleMemory(String containerId) {
    if (sampling) {
      return;
    }
    sampling = true;
    docker.memory(containerId).onComplete(ar -> {
      sampling = false;
      if (ar.succeeded() && ar.result() != null) {
        publishMemory(ar.result());
      }
    });
  }

  private void publishMemory(dev.odooagent.docker.MemoryStats mem) {
    metrics.set("odoo_container_memory_usage_bytes", mem.usageBytes());
    metrics.set("odoo_container_memory_limit_bytes", mem.limitBytes());
  }

  /** Reads the conf file the running Odoo uses, once per container start. */
  private Future<OdooConf> effectiveConf(ContainerInfo c) {
    String key = c.id() + "@" + c.startedAt();
    if (key.equals(confKey) && conf != null) {
      return Future.succeededFuture(conf);
    }
    String path = OdooConf.pathIn(c.raw());
    return docker.readFile(c.id(), path).map(text -> {
      conf = OdooConf.parse(text);
      confKey = key;
      return conf;
    }).recover(e -> {
      note("cannot read " + path + " from container " + containerName + ": " + e.getMessage());
      return Future.succeededFuture(conf);
    });
  }


  /** The tag of a reference like {@code host:5000/owner/name:tag}, or null when it names a digest or no tag. */
  static String tagOf(String ref) {
    if (ref == null || ref.contains("@")) {
      return null;
    }
    int slash = ref.lastIndexOf('/');
    int colon = ref.lastIndexOf(':');
    return colon > slash ? ref.substring(colon + 1) : "latest";
  }

  private void publish(Observation o) {
    metrics.set("odoo_up", o.health() != null && o.health().pass());
    if (o.health() != null) {
      metrics.set("odoo_health_probe_duration_seconds", o.health().seconds());
    }
    metrics.containerRestarts(o.restartCount());
    if (o.conf() != null) {
      metrics.set("odoo_workers", o.conf().workers());
      metrics.set("odoo_max_cron_threads", o.conf().maxCronThreads());
      metrics.set("odoo_db_maxconn", o.conf().dbMaxconn());
      metrics.set("odoo_limit_memory_soft_bytes", o.conf().limitMemorySoft());
      metrics.set("odoo_limit_memory_hard_bytes", o.conf().limitMemoryHard());
    }
    metrics.set("odoo_worker_processes", o.workerProcesses() == null ? Double.NaN : o.workerProcesses());
    if (o.digest() != null) {
      metrics.image(o.tag(), o.digest(), o.revision());
    }
    if (o.containerId() != null && o.running()) {
      lastProblem = null;
    }
  }

  private void note(String problem) {
    if (!problem.equals(lastProblem)) {
      LOG.warn(problem);
      lastProblem = problem;
    }
  }
}
