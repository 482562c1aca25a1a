package dev.odooagent.registry;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The registry client against the test bed's real htpasswd-protected registry on 127.0.0.1:5000. */
class RegistryClientIT {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?");

    private static Vertx vertx;
    private static Path dir;
    private static Map<String, String> bed;
    private static String registryUrl;
    private static String repository;
    private static String user;
    private static String password;

    @BeforeAll
    static void readTestBed() throws IOException {
        dir = Path.of(System.getenv().getOrDefault("TESTBED_DIR", "/var/lib/odoo-testbed"));
        bed = readEnvFile(dir.resolve("testbed.env"));
        registryUrl = required(bed, "REGISTRY_URL", dir.resolve("testbed.env"));
        repository = ImageRef.parse(required(bed, "IMAGE", dir.resolve("testbed.env"))).repository();
        user = required(bed, "REGISTRY_USER", dir.resolve("testbed.env"));
        Path passwordFile = Path.of(required(bed, "REGISTRY_PASSWORD_FILE", dir.resolve("testbed.env")));
        if (!Files.isReadable(passwordFile)) {
            fail("registry password file " + passwordFile + " named by REGISTRY_PASSWORD_FILE is not readable:"
                    + " run `scripts/testbed up` as root first");
        }
        password = Files.readString(passwordFile).strip();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void resolvesV1AndLatestToTheDigestsTheTestBedPushed() throws Exception {
        Map<String, String> images = readEnvFile(dir.resolve("images.env"));
        String expected = required(images, "DIGEST_v1", dir.resolve("images.env"));
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, password);
        assertEquals(expected, client.resolveDigest("v1").await(30, TimeUnit.SECONDS));
        assertEquals(required(images, "DIGEST_latest", dir.resolve("images.env")),
                client.resolveDigest("latest").await(30, TimeUnit.SECONDS));
    }

    @Test
    void pingsTheRegistryWithTheTestBedCredentials() throws Exception {
        new RegistryClient(vertx, registryUrl, repository, user, password).ping().await(30, TimeUnit.SECONDS);
    }

    @Test
    void wrongPasswordIsRejectedNotRetryableWithAHint() {
        String wrong = password + "-wrong";
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, wrong);
        Exception thrown = assertThrows(Exception.class,
                () -> client.resolveDigest("v1").await(30, TimeUnit.SECONDS));
        RegistryException e = assertInstanceOf(RegistryException.class, thrown);
        assertEquals(401, e.status());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("check registry.username / registry.password_file"), e.getMessage());
        assertTrue(e.getMessage().contains(registryUrl), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), "the message leaks the password: " + e.getMessage());
    }

    @Test
    void unknownTagIsNotFoundAndNotRetryable() {
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, password);
        Exception thrown = assertThrows(Exception.class,
                () -> client.resolveDigest("no-such-tag").await(30, TimeUnit.SECONDS));
        RegistryException e = assertInstanceOf(RegistryException.class, thrown);
        assertEquals(404, e.status());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("tag not found"), e.getMessage());
    }

    private static Map<String, String> readEnvFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            fail("test bed file " + file + " is missing: run `scripts/testbed up` as root before the integration"
                    + " tests (set TESTBED_DIR if the bed lives elsewhere)");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String value = unquote(line.substring(eq + 1).strip());
            values.put(line.substring(0, eq).strip(), expand(value, values));
        }
        return values;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static String expand(String value, Map<String, String> known) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement = known.getOrDefault(m.group(1), System.getenv().getOrDefault(m.group(1), m.group()));
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(sb).toString();
    }

    private static String required(Map<String, String> values, String key, Path file) {
        String value = values.get(key);
        assertNotNull(value, file + " has no " + key + "; re-run `scripts/testbed up`");
        return value;
    }
}
