package io.rptun.core.rpmsg;

import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * An immutable address-to-endpoint map for the receive path: open addressing with linear probing,
 * at most half full, so a lookup is O(1), allocation-free and lock-free. Changes build a new table
 * (copy-on-write, under the device's lock); the serving thread reads the current one through a
 * volatile field.
 */
final class EndpointTable {
    static final EndpointTable EMPTY = new EndpointTable(new int[0], new RpmsgEndpoint[0]);

    private final int[] keys;
    private final @Nullable RpmsgEndpoint[] values;
    private final int mask;

    private EndpointTable(int[] keys, @Nullable RpmsgEndpoint[] values) {
        this.keys = keys;
        this.values = values;
        this.mask = keys.length - 1;
    }

    static EndpointTable of(Collection<RpmsgEndpoint> endpoints) {
        if (endpoints.isEmpty()) {
            return EMPTY;
        }
        int capacity = Integer.highestOneBit(Math.max(4, endpoints.size() * 2 - 1)) << 1;
        int[] keys = new int[capacity];
        RpmsgEndpoint[] values = new RpmsgEndpoint[capacity];
        int mask = capacity - 1;
        for (RpmsgEndpoint e : endpoints) {
            int i = hash(e.address()) & mask;
            while (values[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = e.address();
            values[i] = e;
        }
        return new EndpointTable(keys, values);
    }

    @Nullable RpmsgEndpoint get(int address) {
        if (values.length == 0) {
            return null;
        }
        int i = hash(address) & mask;
        while (true) {
            RpmsgEndpoint e = values[i];
            if (e == null) {
                return null;
            }
            if (keys[i] == address) {
                return e;
            }
            i = (i + 1) & mask;
        }
    }

    private static int hash(int address) {
        int h = address * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
