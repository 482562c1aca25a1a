package dev.odooagent.docker;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** The agent's only port to the container engine; every method is non-blocking. */
public interface DockerEngine {
  /** Checks that the engine answers; fails with a message naming the configured host. */
  Future<String> ping();

  /** Inspects a container by name or id; empty when there is none. */
  Future<Optional<ContainerInfo>> inspectContainer(String nameOrId);

  /** Lists all containers (running or not) carrying every given label. */
  Future<List<ContainerInfo>> listContainers(Map<String, String> labels);

  /** Inspects a local image by reference or id; empty when it is not present. */
  Future<Optional<ImageInfo>> inspectImage(String ref);

  /** Lists local images of a repository. */
  Future<List<ImageInfo>> listImages(String repository);

  /**
   * Pulls {@code repository@digest}, reporting progress lines; abandons the pull (and so cancels it in the engine) when it
   * has not finished within {@code timeout}: a registry that stops answering would otherwise hold it forever.
   */
  Future<Void> pullImage(String repository, String digest, RegistryAuth auth, Consumer<String> progress, Duration timeout);

  /** Removes a local image by id. */
  Future<Void> removeImage(String id);

  /** Creates a container (its spec must carry the agent's deploy label) and joins its extra networks. */
  Future<Owned> createContainer(ContainerSpec spec);

  /**
   * Joins a container to {@code network} with {@code endpoint}'s settings (its aliases, say), leaving that network first
   * if it is on it: the engine sets an endpoint's aliases only when it connects it. The container keeps running; its
   * address on that network changes.
   */
  Future<Void> reconnect(Owned container, String network, JsonObject endpoint);

  /** Starts a container. */
  Future<Void> startContainer(String id);

  /** Stops a container, killing it after the timeout. A stopped container is fine. */
  Future<Void> stopContainer(Owned container, Duration timeout);

  /** Renames a container. */
  Future<Void> renameContainer(Owned container, String newName);

  /** Removes a container (forcibly) with its anonymous volumes kept. A missing container is fine. */
  Future<Void> removeContainer(Owned container);

  /** Removes a volume by name; a missing or still used one is left as it is. */
  Future<Void> removeVolume(String name);

  /** Creates, starts and awaits a one-shot container, killing it at the timeout; always removes it. */
  Future<OneShotResult> runOneShot(ContainerSpec spec, Duration timeout, int tailLines);

  /** Reads one text file from a container's filesystem. */
  Future<String> readFile(String containerId, String path);

  /** The command lines of the processes running in a container. */
  Future<List<String>> processCommandLines(String containerId);

  /** The container's current memory usage and limit. */
  Future<MemoryStats> memory(String containerId);
}
