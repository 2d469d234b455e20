package io.rptun.reactive;

import java.util.Objects;

/**
 * One change in the remote's name service, as {@link RpmsgReactive#announcements()} tells it.
 *
 * @param type created or destroyed
 * @param name the service name
 * @param address the remote endpoint's address
 */
public record NameServiceEvent(Type type, String name, int address) {
    /** What happened to the service. */
    public enum Type {
        /** The remote announced it (NS create or create-ack), or it was already known when the flux was subscribed. */
        CREATED,
        /** The remote destroyed it (NS destroy). */
        DESTROYED
    }

    public NameServiceEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
    }

    public static NameServiceEvent created(String name, int address) {
        return new NameServiceEvent(Type.CREATED, name, address);
    }

    public static NameServiceEvent destroyed(String name, int address) {
        return new NameServiceEvent(Type.DESTROYED, name, address);
    }
}
