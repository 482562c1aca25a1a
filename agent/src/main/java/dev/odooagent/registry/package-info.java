/** OCI distribution client: image references, tag-to-digest resolution and the retry/circuit-breaker around it. */
package dev.odooagent.registry;
