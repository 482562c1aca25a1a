package dev.odooagent.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageRefTest {

    private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
    private static final String OTHER_DIGEST = "sha256:" + "f".repeat(64);

    @Test
    void parsesGhcrRepositoryWithoutTag() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce");
        assertEquals("ghcr.io", ref.registryHost());
        assertEquals("jgtolentino/odoo-ce", ref.repository());
        assertNull(ref.tag());
        assertNull(ref.digest());
        assertEquals("ghcr.io/jgtolentino/odoo-ce", ref.toString());
        assertEquals("latest", ref.reference());
    }

    @Test
    void parsesHostWithPortAndTag() {
        ImageRef ref = ImageRef.parse("127.0.0.1:5000/jgtolentino/odoo-ce:sha-057bb3a");
        assertEquals("127.0.0.1:5000", ref.registryHost());
        assertEquals("jgtolentino/odoo-ce", ref.repository());
        assertEquals("sha-057bb3a", ref.tag());
        assertNull(ref.digest());
        assertEquals("127.0.0.1:5000/jgtolentino/odoo-ce:sha-057bb3a", ref.toString());
        assertEquals("sha-057bb3a", ref.reference());
    }

    @Test
    void parsesHostWithPortWithoutTag() {
        ImageRef ref = ImageRef.parse("127.0.0.1:5000/jgtolentino/odoo-ce");
        assertEquals("127.0.0.1:5000", ref.registryHost());
        assertEquals("jgtolentino/odoo-ce", ref.repository());
        assertNull(ref.tag());
    }

    @Test
    void parsesDigest() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce@" + DIGEST);
        assertNull(ref.tag());
        assertEquals(DIGEST, ref.digest());
        assertEquals("ghcr.io/jgtolentino/odoo-ce@" + DIGEST, ref.toString());
        assertEquals(DIGEST, ref.reference());
    }

    @Test
    void canonicalFormPrefersDigestOverTag() {
        ImageRef ref = ImageRef.parse("127.0.0.1:5000/jgtolentino/odoo-ce:v1@" + DIGEST);
        assertEquals("v1", ref.tag());
        assertEquals(DIGEST, ref.digest());
        assertEquals("127.0.0.1:5000/jgtolentino/odoo-ce@" + DIGEST, ref.toString());
    }

    @Test
    void canonicalFormParsesBackToTheSameValue() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce:latest");
        assertEquals(ref, ImageRef.parse(ref.toString()));
        ImageRef pinned = ref.withDigest(DIGEST);
        assertEquals(pinned.withTag("latest").withDigest(DIGEST), pinned);
        assertEquals(new ImageRef("ghcr.io", "jgtolentino/odoo-ce", null, DIGEST), ImageRef.parse(pinned.toString()));
    }

    @Test
    void withDigestKeepsTheTagItWasResolvedFrom() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce:latest").withDigest(DIGEST);
        assertEquals("latest", ref.tag());
        assertEquals(DIGEST, ref.digest());
    }

    @Test
    void withTagDropsTheDigestOfThePreviousTag() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce:v1@" + DIGEST).withTag("v2");
        assertEquals("v2", ref.tag());
        assertNull(ref.digest());
        assertEquals("ghcr.io/jgtolentino/odoo-ce:v2", ref.toString());
    }

    @Test
    void appliesDockerDefaultsWhenNoHostIsNamed() {
        ImageRef official = ImageRef.parse("odoo:18.0");
        assertEquals("docker.io", official.registryHost());
        assertEquals("library/odoo", official.repository());
        assertEquals("18.0", official.tag());

        ImageRef user = ImageRef.parse("jgtolentino/odoo-ce:v1");
        assertEquals("docker.io", user.registryHost());
        assertEquals("jgtolentino/odoo-ce", user.repository());

        ImageRef local = ImageRef.parse("localhost/odoo-ce");
        assertEquals("localhost", local.registryHost());
        assertEquals("odoo-ce", local.repository());
    }

    @Test
    void emptyReferenceIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(" "));
        assertTrue(e.getMessage().contains("image reference is empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ghcr.io/jgtolentino/odoo-ce:-bad",
            "ghcr.io/jgtolentino/odoo-ce:.bad",
            "ghcr.io/jgtolentino/odoo-ce:bad/tag",
            "ghcr.io/jgtolentino/odoo-ce:",
            "ghcr.io/jgtolentino/odoo-ce:has space"
    })
    void invalidTagIsRejectedNamingInputAndTag(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(input));
        assertTrue(e.getMessage().startsWith("image reference '" + input + "'"), e.getMessage());
    }

    @Test
    void invalidTagMessageNamesTheTagAndTheExpectedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageRef.parse("ghcr.io/jgtolentino/odoo-ce:-bad"));
        assertTrue(e.getMessage().contains("tag '-bad' is invalid"), e.getMessage());
        assertTrue(e.getMessage().contains("e.g. v1"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "sha256:abc",
            "sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
            "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ""
    })
    void invalidDigestIsRejectedNamingIt(String digest) {
        String input = "ghcr.io/jgtolentino/odoo-ce@" + digest;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(input));
        assertTrue(e.getMessage().contains("digest '" + digest + "' is invalid"), e.getMessage());
        assertTrue(e.getMessage().contains(input), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ghcr.io/JGTolentino/odoo-ce", "ghcr.io/jgtolentino//odoo-ce", "ghcr.io/-odoo"})
    void invalidRepositoryIsRejectedNamingIt(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(input));
        assertTrue(e.getMessage().contains("repository '"), e.getMessage());
        assertTrue(e.getMessage().contains(input), e.getMessage());
    }

    @Test
    void invalidHostIsRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageRef.parse("bad_host.io/jgtolentino/odoo-ce"));
        assertTrue(e.getMessage().contains("registry host 'bad_host.io' is invalid"), e.getMessage());
    }

    @Test
    void withersValidateTheirArgument() {
        ImageRef ref = ImageRef.parse("ghcr.io/jgtolentino/odoo-ce");
        assertThrows(IllegalArgumentException.class, () -> ref.withDigest("sha256:nope"));
        assertThrows(IllegalArgumentException.class, () -> ref.withTag("no good"));
        assertEquals(OTHER_DIGEST, ref.withDigest(OTHER_DIGEST).digest());
    }

    @Test
    void tagPatternAllowsUpTo128Characters() {
        assertTrue(References.isTag("a".repeat(128)));
        assertFalse(References.isTag("a".repeat(129)));
        assertTrue(References.isTag("_x"));
        assertTrue(References.isTag("sha-057bb3a"));
        assertFalse(References.isTag(null));
        assertTrue(References.isDigest(DIGEST));
        assertFalse(References.isDigest(DIGEST + "0"));
    }
}
