package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A device's endpoints by address, the dynamic addresses in use, and the services the remote announced.
 * Every method but {@link #get} runs under the device's lock; {@link #get} reads a copy-on-write
 * {@link EndpointTable} through a volatile field, so the receive path looks up an address in O(1) without
 * a lock or an allocation.
 */
final class EndpointRegistry {
    /** Dynamic addresses handed out at most (0x400 up); explicit addresses are not limited. */
    static final int MAX_DYNAMIC = 1 << 20;

    private final String deviceName;
    private final Map<Integer, RpmsgEndpoint> endpoints = new LinkedHashMap<>();
    private final BitSet dynamicAddresses = new BitSet();
    private final Map<String, Integer> remoteServices = new LinkedHashMap<>();
    private volatile EndpointTable table = EndpointTable.EMPTY;

    EndpointRegistry(String deviceName) {
        this.deviceName = deviceName;
    }

    /**
     * Registers a new endpoint. Source ANY takes the lowest free address from 0x400 up; destination ANY on a
     * named endpoint takes the address the remote announced for that name, if it did.
     *
     * @throws RpmsgException ADDRESS_IN_USE, NO_ADDRESS
     */
    RpmsgEndpoint register(RpmsgDevice device, String name, int src, int dst, RpmsgListener listener) {
        int address = src == RpmsgAddresses.ANY ? allocate() : claim(src);
        int destination = dst;
        if (dst == RpmsgAddresses.ANY && !name.isEmpty()) {
            destination = remoteServices.getOrDefault(name, RpmsgAddresses.ANY);
        }
        RpmsgEndpoint ep = new RpmsgEndpoint(device, name, address, destination, dst != RpmsgAddresses.ANY, listener);
        endpoints.put(address, ep);
        table = EndpointTable.of(endpoints.values());
        return ep;
    }

    private int allocate() {
        int i = dynamicAddresses.nextClearBit(0);
        if (i >= MAX_DYNAMIC) {
            throw new RpmsgException(Reason.NO_ADDRESS, deviceName + ": all " + MAX_DYNAMIC
                    + " dynamic addresses are taken");
        }
        dynamicAddresses.set(i);
        return RpmsgAddresses.FIRST_DYNAMIC + i;
    }

    private int claim(int src) {
        if (src == RpmsgAddresses.NS_ADDR || endpoints.containsKey(src)) {
            throw new RpmsgException(Reason.ADDRESS_IN_USE, deviceName + ": address " + RpmsgAddresses.format(src)
                    + (src == RpmsgAddresses.NS_ADDR ? " is the name service's" : " is taken by " + endpoints.get(src)));
        }
        int i = dynamicIndex(src);
        if (i >= 0) {
            dynamicAddresses.set(i);
        }
        return src;
    }

    private static int dynamicIndex(int address) {
        long offset = Integer.toUnsignedLong(address) - RpmsgAddresses.FIRST_DYNAMIC;
        return offset >= 0 && offset < MAX_DYNAMIC ? (int) offset : -1;
    }

    /** Marks the endpoint destroyed and frees its address; false if it was already. */
    boolean unregister(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return false;
        }
        ep.markDestroyed();
        endpoints.remove(ep.address());
        int i = dynamicIndex(ep.address());
        if (i >= 0) {
            dynamicAddresses.clear(i);
        }
        table = EndpointTable.of(endpoints.values());
        return true;
    }

    /** The endpoint at {@code address}, or null. Lock-free. */
    @Nullable RpmsgEndpoint get(int address) {
        return table.get(address);
    }

    /**
     * The current table, immutable: a new one replaces it on every change, so a reader that finds the same
     * table again knows that nothing changed since (the receive path keeps its last look-up on that basis).
     */
    EndpointTable table() {
        return table;
    }

    List<RpmsgEndpoint> all() {
        return List.copyOf(endpoints.values());
    }

    int size() {
        return endpoints.size();
    }

    /** The first live endpoint named {@code name} that waits for a destination, or null. */
    @Nullable RpmsgEndpoint waitingFor(String name) {
        for (RpmsgEndpoint e : endpoints.values()) {
            if (e.name().equals(name) && !e.isDestroyed() && e.destination() == RpmsgAddresses.ANY) {
                return e;
            }
        }
        return null;
    }

    /** The live endpoints named {@code name} bound to {@code address}. */
    List<RpmsgEndpoint> boundTo(String name, int address) {
        List<RpmsgEndpoint> bound = new ArrayList<>();
        for (RpmsgEndpoint e : endpoints.values()) {
            if (e.name().equals(name) && !e.isDestroyed() && e.destination() == address) {
                bound.add(e);
            }
        }
        return bound;
    }

    /** Remembers an announcement; true if it was new (or moved the service to another address). */
    boolean rememberService(String name, int address) {
        Integer old = remoteServices.put(name, address);
        return old == null || old != address;
    }

    /** Forgets an announcement; true if it was remembered. */
    boolean forgetService(String name, int address) {
        return remoteServices.remove(name, address);
    }

    void forgetServices() {
        remoteServices.clear();
    }

    Map<String, Integer> services() {
        return Map.copyOf(remoteServices);
    }
}
