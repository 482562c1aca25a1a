package dev.odooagent.docker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Real {@code docker inspect} documents captured on the test bed (dockerd 20.10, API 1.41), read the way the
 * docker-java adapter reads them.
 */
public final class InspectFixtures {
  /** {@code docker run -d --name ut-x --network odoo-testbed --network-alias odoo -p 127.0.0.1:18499:8069 --restart
   * unless-stopped --memory 768m} + compose labels, a named volume, a bind-mounted odoo.conf, two env vars, then
   * {@code docker network connect --alias odoo-extra ut-extra ut-x}. */
  public static final String COMPOSE = "docker/compose-user-network.json";
  /** {@code docker run -d --name ut-h --network host --restart no --user 101:101 --workdir /var/lib/odoo --entrypoint
   * /usr/bin/odoo --health-cmd ...} + a label, an env var, the bind-mounted odoo.conf and a command. */
  public static final String HOST = "docker/host-network.json";
  /** {@code docker image inspect} of the stand-in image both containers ran. */
  public static final String IMAGE_V1 = "docker/image-v1.json";

  /** The anonymous volume the engine made for the image's /mnt/extra-addons in {@link #COMPOSE}. */
  public static String addonsVolume() {
    JsonArray mounts = json(COMPOSE).getJsonArray("Mounts");
    for (int i = 0; i < mounts.size(); i++) {
      if ("/mnt/extra-addons".equals(mounts.getJsonObject(i).getString("Destination"))) {
        return mounts.getJsonObject(i).getString("Name");
      }
    }
    throw new IllegalStateException(COMPOSE + " has no /mnt/extra-addons mount");
  }

  private InspectFixtures() {}

  /** A fresh copy of a fixture document. */
  public static JsonObject json(String resource) {
    try (InputStream in = InspectFixtures.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The container as {@code DockerJavaEngine#inspectContainer} reports it. */
  public static ContainerInfo container(JsonObject j) {
    return DockerJavaEngine.toContainer(j);
  }

  /** The image as {@code DockerJavaEngine#inspectImage} reports it. */
  public static ImageInfo image(JsonObject j) {
    return DockerJavaEngine.toImage(j);
  }
}
