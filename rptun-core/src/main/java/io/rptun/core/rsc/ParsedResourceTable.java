package io.rptun.core.rsc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed table: its content and where each entry sat, so that live fields can be found again
 * ({@link #attach(MemorySegment)}).
 *
 * @param table the content
 * @param entryOffsets the byte offset of each entry, parallel to {@code table.entries()}
 * @param extent bytes from the table's start to the end of its last byte in use (header, offsets and
 *     entries)
 */
public record ParsedResourceTable(ResourceTable table, List<Long> entryOffsets, long extent) {

    public ParsedResourceTable {
        entryOffsets = List.copyOf(entryOffsets);
        if (entryOffsets.size() != table.entries().size()) {
            throw new IllegalArgumentException("entryOffsets=" + entryOffsets.size() + ", entries="
                    + table.entries().size());
        }
    }

    /** Byte offset of the {@code vdevIndex}-th vdev entry (in table order among vdevs). */
    public long vdevOffset(int vdevIndex) {
        return offsetOfNth(VdevResource.class, vdevIndex);
    }

    /** Byte offset of the {@code vringIndex}-th vring of the {@code vdevIndex}-th vdev. */
    public long vringOffset(int vdevIndex, int vringIndex) {
        VdevResource vdev = table.vdevs().get(vdevIndex);
        if (vringIndex < 0 || vringIndex >= vdev.vrings().size()) {
            throw new IndexOutOfBoundsException("vringIndex=" + vringIndex + ", vrings=" + vdev.vrings().size());
        }
        return FwRscVdevLayout.vringOffset(vdevOffset(vdevIndex), vringIndex);
    }

    /** Byte offset of the config space of the {@code vdevIndex}-th vdev. */
    public long configOffset(int vdevIndex) {
        return FwRscVdevLayout.configOffset(vdevOffset(vdevIndex), table.vdevs().get(vdevIndex).vrings().size());
    }

    /** Byte offset of the {@code carveoutIndex}-th carveout entry. */
    public long carveoutOffset(int carveoutIndex) {
        return offsetOfNth(CarveoutResource.class, carveoutIndex);
    }

    /** Live access to the fields that change at run time, on the memory this table was parsed from. */
    public LiveResourceTable attach(MemorySegment tableMemory) {
        if (tableMemory.byteSize() < extent) {
            throw new IllegalArgumentException("segment size=" + tableMemory.byteSize() + " < extent=" + extent);
        }
        return new LiveResourceTable(tableMemory, this);
    }

    private long offsetOfNth(Class<? extends ResourceEntry> kind, int n) {
        List<Long> matches = new ArrayList<>();
        List<ResourceEntry> entries = table.entries();
        for (int i = 0; i < entries.size(); i++) {
            if (kind.isInstance(entries.get(i))) {
                matches.add(entryOffsets.get(i));
            }
        }
        if (n < 0 || n >= matches.size()) {
            throw new IndexOutOfBoundsException(kind.getSimpleName() + " index=" + n + ", count=" + matches.size());
        }
        return matches.get(n);
    }
}
