package io.rptun.core.rsc;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The content of a resource table, immutable: the header's two reserved words and the entries in table
 * order. Where each entry sits is not part of the content: {@link ResourceTableWriter} packs entries
 * after the offset array, and {@link ParsedResourceTable} remembers where a parsed table had them.
 *
 * <pre>{@code
 * ResourceTable table = ResourceTable.of(
 *         VdevResource.rpmsg(1, List.of(VringResource.allocated(256, 4096), VringResource.allocated(256, 4096)),
 *                 RawBytes.empty()),
 *         CarveoutResource.of("shm", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x40000));
 * byte[] bytes = ResourceTableWriter.toBytes(table);
 * ParsedResourceTable parsed = ResourceTableParser.parse(MemorySegment.ofArray(bytes), ParseMode.OPENAMP);
 * }</pre>
 *
 * @param reserved0 {@code reserved[0]}: 0 in OpenAMP, NuttX's {@code cmd_master} mailbox word
 * @param reserved1 {@code reserved[1]}: 0 in OpenAMP, NuttX's {@code cmd_slave} mailbox word
 * @param entries the entries, in table order
 */
public record ResourceTable(int reserved0, int reserved1, List<ResourceEntry> entries) {

    public ResourceTable {
        entries = List.copyOf(entries);
    }

    /** A table with the given entries and zero reserved words. */
    public static ResourceTable of(ResourceEntry... entries) {
        return new ResourceTable(0, 0, List.of(entries));
    }

    /** Parses {@code table} in the given mode; see {@link ResourceTableParser#parse(MemorySegment, ParseMode)}. */
    public static ParsedResourceTable parse(MemorySegment table, ParseMode mode) {
        return ResourceTableParser.parse(table, mode);
    }

    /** The vdev entries, in table order. */
    public List<VdevResource> vdevs() {
        return entries.stream().filter(VdevResource.class::isInstance).map(VdevResource.class::cast).toList();
    }

    /** The carveout entries, in table order. */
    public List<CarveoutResource> carveouts() {
        return entries.stream().filter(CarveoutResource.class::isInstance).map(CarveoutResource.class::cast).toList();
    }

    /** The devmem entries, in table order. */
    public List<DevmemResource> devmems() {
        return entries.stream().filter(DevmemResource.class::isInstance).map(DevmemResource.class::cast).toList();
    }

    /** The trace entries, in table order. */
    public List<TraceResource> traces() {
        return entries.stream().filter(TraceResource.class::isInstance).map(TraceResource.class::cast).toList();
    }

    /** The vendor entries, in table order. */
    public List<VendorResource> vendors() {
        return entries.stream().filter(VendorResource.class::isInstance).map(VendorResource.class::cast).toList();
    }

    /** NuttX's {@code cmd_master} mailbox word, decoded. */
    public NuttxCommand masterCommand() {
        return NuttxCommand.decode(reserved0);
    }

    /** NuttX's {@code cmd_slave} mailbox word, decoded. */
    public NuttxCommand slaveCommand() {
        return NuttxCommand.decode(reserved1);
    }

    /**
     * This table with the entry at {@code index} replaced (the way to edit one: records are immutable, so
     * take the entry, make the changed record with its {@code with...} methods, and put it back).
     *
     * @throws IndexOutOfBoundsException if the table has no entry at {@code index}
     */
    public ResourceTable withEntry(int index, ResourceEntry entry) {
        var copy = new java.util.ArrayList<>(entries);
        copy.set(index, entry);
        return new ResourceTable(reserved0, reserved1, copy);
    }
}
