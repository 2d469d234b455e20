package io.rptun.core.rsc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.rptun.core.rsc.ResourceTableArbitraries.ModeTable;
import io.rptun.core.rsc.ResourceTableArbitraries.Mutation;
import io.rptun.core.rsc.ResourceTableException.Reason;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Histogram;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * The parser's contract on arbitrary input: written tables read back as themselves, and no input, however
 * broken, makes {@link ResourceTableParser} throw anything but a {@link ResourceTableException}, loop, or
 * look outside the segment it was given.
 */
class ResourceTableProperties {
    private static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Which vendor hook a parse runs with. */
    enum Hook {
        ACCEPT(VendorResourceHook.acceptAll()),
        REJECT(VendorResourceHook.rejectAll()),
        /** A buggy hook: its exception must come out wrapped as VENDOR_REJECTED. */
        THROW(VendorResourceHook.acceptAll()) {
            @Override
            VendorResourceHook hook() {
                return (offset, resource) -> {
                    throw new IllegalStateException("hook failed at " + offset);
                };
            }
        };

        private final VendorResourceHook hook;

        Hook(VendorResourceHook hook) {
            this.hook = hook;
        }

        VendorResourceHook hook() {
            return hook;
        }
    }

    /** What one parse produced: a table, or the reason and offset of the rejection. */
    record Outcome(ParsedResourceTable parsed, Reason reason, long offset) {
        String label() {
            return parsed != null ? "OK" : reason.name();
        }
    }

    /** Parses; only a {@link ResourceTableException} is caught, anything else escapes and fails the caller. */
    static Outcome outcome(MemorySegment segment, ParseMode mode, VendorResourceHook hook) {
        try {
            return new Outcome(ResourceTableParser.parse(segment, mode, hook), null, -1);
        } catch (ResourceTableException e) {
            assertThat(e.reason()).isNotNull();
            return new Outcome(null, e.reason(), e.offset());
        }
    }

    static Outcome outcome(MemorySegment segment, ParseMode mode) {
        return outcome(segment, mode, VendorResourceHook.acceptAll());
    }

    /**
     * Parses broken bytes and checks what must hold of any accepted table; returns the outcome's label
     * (the reason, {@code OK}, or {@code OK+NOT_STANDARD} style when RptunRsc.from refuses it).
     */
    static String parseBroken(byte[] bytes, ParseMode mode, Hook hook) {
        Outcome outcome = outcome(MemorySegment.ofArray(bytes), mode, hook.hook());
        if (outcome.parsed() == null) {
            assertThat(outcome.offset()).as("offset of %s", outcome.reason())
                    .isBetween(0L, Math.max(0, bytes.length - 1L));
            // Mode- and hook-specific reasons only come from that mode or hook.
            if (mode == ParseMode.NUTTX) {
                assertThat(outcome.reason()).isNotEqualTo(Reason.RESERVED_NOT_ZERO);
            } else {
                assertThat(outcome.reason()).isNotEqualTo(Reason.BAD_ROLE);
            }
            if (hook == Hook.ACCEPT) {
                assertThat(outcome.reason()).isNotEqualTo(Reason.VENDOR_REJECTED);
            }
            assertThat(outcome.reason()).isNotEqualTo(Reason.NOT_STANDARD);
            return outcome.label();
        }
        ParsedResourceTable parsed = outcome.parsed();
        assertThat(parsed.extent()).isLessThanOrEqualTo(bytes.length);
        List<ResourceEntry> entries = parsed.table().entries();
        for (int i = 0; i < entries.size(); i++) {
            long at = parsed.entryOffsets().get(i);
            assertThat(at).isGreaterThanOrEqualTo(16 + 4L * entries.size());
            assertThat(at + entries.get(i).byteSize()).isLessThanOrEqualTo(parsed.extent());
        }
        // Whatever the parser accepts is a valid model: it writes and reads back as itself.
        byte[] rewritten = ResourceTableWriter.toBytes(parsed.table());
        assertThat(ResourceTableParser.parse(MemorySegment.ofArray(rewritten), mode).table())
                .isEqualTo(parsed.table());
        // And the standard-table reader obeys the same rule.
        try {
            RptunRsc.from(parsed);
            return "OK (rptun_rsc_s)";
        } catch (ResourceTableException e) {
            assertThat(e.reason()).isEqualTo(Reason.NOT_STANDARD);
            return "OK (" + e.reason() + ")";
        }
    }

    private static MemorySegment seg(byte[] bytes) {
        return MemorySegment.ofArray(bytes);
    }

    // ------------------------------------------------------------------------------------------ providers

    @Provide
    Arbitrary<ModeTable> modeTables() {
        return ResourceTableArbitraries.modeTables();
    }

    @Provide
    Arbitrary<byte[]> validTableBytes() {
        return ResourceTableArbitraries.validTableBytes();
    }

    @Provide
    Arbitrary<List<Mutation>> mutationLists() {
        return ResourceTableArbitraries.mutationLists();
    }

    @Provide
    Arbitrary<RptunRsc> rptunRscs() {
        return ResourceTableArbitraries.rptunRscs();
    }

    // ------------------------------------------------------------------------------------------ round trip

    @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
    void parseOfWriteIsIdentity(@ForAll("modeTables") ModeTable modeTable) {
        ResourceTable table = modeTable.table();
        byte[] bytes = ResourceTableWriter.toBytes(table);
        assertThat((long) bytes.length).isEqualTo(ResourceTableWriter.sizeOf(table));

        ParsedResourceTable parsed = ResourceTableParser.parse(seg(bytes), modeTable.mode());

        assertThat(parsed.table()).isEqualTo(table);
        assertThat(parsed.extent()).isEqualTo(bytes.length);
        List<Long> offsets = parsed.entryOffsets();
        assertThat(offsets).hasSize(table.entries().size());
        long previousEnd = 16 + 4L * offsets.size();
        for (int i = 0; i < offsets.size(); i++) {
            long at = offsets.get(i);
            assertThat(at % ResourceTableWriter.ENTRY_ALIGNMENT).as("offset[%d]=%d", i, at).isZero();
            assertThat(at).as("offset[%d]", i).isGreaterThanOrEqualTo(previousEnd);
            previousEnd = at + table.entries().get(i).byteSize();
        }
        if (modeTable.mode() == ParseMode.OPENAMP) {
            // An OpenAMP table (all reserved fields 0) is also a valid NuttX table with the same content.
            assertThat(ResourceTableParser.parse(seg(bytes), ParseMode.NUTTX).table()).isEqualTo(table);
        }
        Statistics.label("mode").collect(modeTable.mode());
        Statistics.label("entries").collect(table.entries().size());
    }

    // ------------------------------------------------------------------------------------------ robustness

    @Property(tries = 10_000, edgeCases = EdgeCasesMode.NONE)
    @StatisticsReport(label = "outcome", format = Histogram.class)
    void mutatedTablesParseOrThrowResourceTableException(
            @ForAll("validTableBytes") byte[] table,
            @ForAll("mutationLists") List<Mutation> mutations,
            @ForAll ParseMode mode,
            @ForAll Hook hook) {
        byte[] broken = ResourceTableArbitraries.mutate(table, mutations);
        Statistics.label("outcome").collect(parseBroken(broken, mode, hook));
    }

    @Property(tries = 10_000)
    @StatisticsReport(label = "outcome", format = Histogram.class)
    void randomBytesParseOrThrowResourceTableException(
            @ForAll @Size(max = 600) byte[] bytes,
            @ForAll boolean versionOne,
            @ForAll boolean smallNum,
            @ForAll ParseMode mode,
            @ForAll Hook hook) {
        MemorySegment s = seg(bytes);
        if (versionOne && bytes.length >= 4) {
            s.set(LE_U32, 0, 1);
            // Half of those also get a small num and offsets inside the entries area (when the bytes have
            // one), so that entry headers and bodies get read too.
            if (smallNum && bytes.length >= 8) {
                int num = Math.floorMod(s.get(LE_U32, 4), 9);
                s.set(LE_U32, 4, num);
                long entriesStart = 16 + 4L * num;
                if (entriesStart + 4 <= bytes.length) {
                    for (int i = 0; i < num; i++) {
                        long room = bytes.length - 3 - entriesStart;
                        long at = entriesStart + Math.floorMod(s.get(LE_U32, 16 + 4L * i), room);
                        s.set(LE_U32, 16 + 4L * i, (int) at);
                    }
                }
            }
        }
        Statistics.label("outcome").collect(parseBroken(bytes, mode, hook));
    }

    /** The plain-loop reach check: a fixed seed must hit at least 8 distinct rejection reasons. */
    @Example
    void fixedSeedMutationsReachAtLeastEightReasons() {
        Random random = new Random(42);
        RandomGenerator<byte[]> tables = ResourceTableArbitraries.validTableBytes().generator(1000);
        ParseMode[] modes = ParseMode.values();
        Hook[] hooks = Hook.values();
        Map<Reason, Integer> reasons = new EnumMap<>(Reason.class);
        int accepted = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] table = tables.next(random).value();
            List<Mutation> mutations = new ArrayList<>();
            for (int m = 1 + random.nextInt(8); m > 0; m--) {
                mutations.add(ResourceTableArbitraries.randomMutation(random));
            }
            byte[] broken = ResourceTableArbitraries.mutate(table, mutations);
            ParseMode mode = modes[random.nextInt(modes.length)];
            Hook hook = hooks[random.nextInt(hooks.length)];
            Outcome outcome = outcome(seg(broken), mode, hook.hook());
            if (outcome.parsed() == null) {
                reasons.merge(outcome.reason(), 1, Integer::sum);
            } else {
                accepted++;
                try {
                    RptunRsc.from(outcome.parsed());
                } catch (ResourceTableException e) {
                    reasons.merge(e.reason(), 1, Integer::sum);
                }
            }
        }
        System.out.println("ResourceTableProperties: 3000 seeded mutations, " + accepted + " parsed, reasons "
                + reasons);
        assertThat(reasons.keySet()).as("reasons reached: %s", reasons).hasSizeGreaterThanOrEqualTo(8);
    }

    /**
     * Hang check: a table whose offset array fills it, every offset pointing at the same small region; then
     * the worst valid case (100 000 distinct entries, then the same with the last one overlapping the first).
     */
    @Example
    void fullOffsetArraysFinishQuickly() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            int size = 1 << 20;
            // 1. num = (size − 16) / 4, all offsets at the same spot: nothing is left for an entry.
            byte[] full = new byte[size];
            MemorySegment s = seg(full);
            s.set(LE_U32, 0, 1);
            long num = (size - 16) / 4;
            s.set(LE_U32, 4, (int) num);
            for (long i = 0; i < num; i++) {
                s.set(LE_U32, 16 + 4 * i, size - 56);
            }
            assertThatThrownBy(() -> ResourceTableParser.parse(s, ParseMode.NUTTX))
                    .isInstanceOfSatisfying(ResourceTableException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.OFFSET_OUT_OF_BOUNDS));

            // 2. Offsets fill all but one carveout at the end, and all point at it: the second one overlaps.
            long num2 = (size - 16 - 56) / 4;
            s.set(LE_U32, 4, (int) num2);
            long carveout = 16 + 4 * num2;
            s.asSlice(carveout, size - carveout).fill((byte) 0);
            for (long i = 0; i < num2; i++) {
                s.set(LE_U32, 16 + 4 * i, (int) carveout);
            }
            assertThatThrownBy(() -> ResourceTableParser.parse(s, ParseMode.OPENAMP))
                    .isInstanceOfSatisfying(ResourceTableException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.ENTRIES_OVERLAP);
                        assertThat(e.offset()).isEqualTo(carveout);
                    });

            // 3. 100 000 empty vendor entries, all distinct: parsed in full.
            int n = 100_000;
            byte[] many = new byte[16 + 4 * n + 8 * n];
            MemorySegment m = seg(many);
            m.set(LE_U32, 0, 1);
            m.set(LE_U32, 4, n);
            for (int i = 0; i < n; i++) {
                int at = 16 + 4 * n + 8 * i;
                m.set(LE_U32, 16 + 4L * i, at);
                m.set(LE_U32, at, 128 + i % 385);
            }
            ParsedResourceTable parsed = ResourceTableParser.parse(m, ParseMode.OPENAMP);
            assertThat(parsed.table().entries()).hasSize(n);
            assertThat(parsed.extent()).isEqualTo(many.length);

            // 4. The same with the last offset pointing at the first entry: every entry is walked first.
            m.set(LE_U32, 16 + 4L * (n - 1), 16 + 4 * n);
            assertThatThrownBy(() -> ResourceTableParser.parse(m, ParseMode.OPENAMP))
                    .isInstanceOfSatisfying(ResourceTableException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.ENTRIES_OVERLAP));
        });
    }

    // ------------------------------------------------------------------------------------------ bounds

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void parserNeverReadsPastTheSegment(
            @ForAll("modeTables") ModeTable modeTable,
            @ForAll @IntRange(min = 0, max = 7) int lead,
            @ForAll @IntRange(min = 1, max = 256) int tail,
            @ForAll long garbageSeed) {
        byte[] bytes = ResourceTableWriter.toBytes(modeTable.table());
        Outcome exact = outcome(seg(bytes.clone()), modeTable.mode());
        assertThat(exact.parsed()).isNotNull();
        assertThat(exact.parsed().table()).isEqualTo(modeTable.table());
        assertSameOutcomeWherever(bytes, modeTable.mode(), lead, tail, garbageSeed, exact);
    }

    @Property(tries = 2000, edgeCases = EdgeCasesMode.NONE)
    void mutatedTablesParseTheSameInSlicesAndCopies(
            @ForAll("validTableBytes") byte[] table,
            @ForAll("mutationLists") List<Mutation> mutations,
            @ForAll ParseMode mode,
            @ForAll @IntRange(min = 0, max = 7) int lead,
            @ForAll @IntRange(min = 1, max = 256) int tail,
            @ForAll long garbageSeed) {
        byte[] bytes = ResourceTableArbitraries.mutate(table, mutations);
        Outcome exact = outcome(seg(bytes.clone()), mode);
        assertSameOutcomeWherever(bytes, mode, lead, tail, garbageSeed, exact);
        Statistics.label("outcome").collect(exact.label());
    }

    /**
     * Parses {@code bytes} from a native slice and a heap slice, each with garbage before and after it, and
     * from an exact native copy; all must give {@code expected}.
     */
    private static void assertSameOutcomeWherever(byte[] bytes, ParseMode mode, int lead, int tail,
            long garbageSeed, Outcome expected) {
        Random garbage = new Random(garbageSeed);
        byte[] big = new byte[lead + bytes.length + tail];
        garbage.nextBytes(big);
        // Garbage that looks like a continuation: ANY-ish words right after the table.
        if (tail >= 4) {
            MemorySegment.ofArray(big).set(LE_U32, lead + bytes.length, garbage.nextBoolean() ? -1 : 0x200);
        }
        System.arraycopy(bytes, 0, big, lead, bytes.length);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeBig = arena.allocate(big.length, 8);
            MemorySegment.copy(big, 0, nativeBig, ValueLayout.JAVA_BYTE, 0, big.length);
            MemorySegment nativeSlice = nativeBig.asSlice(lead, bytes.length);
            assertThat(outcome(nativeSlice, mode)).as("native slice").isEqualTo(expected);

            MemorySegment nativeExact = arena.allocate(Math.max(1, bytes.length), 8).asSlice(0, bytes.length);
            MemorySegment.copy(bytes, 0, nativeExact, ValueLayout.JAVA_BYTE, 0, bytes.length);
            assertThat(outcome(nativeExact, mode)).as("native copy").isEqualTo(expected);
        }
        MemorySegment heapSlice = MemorySegment.ofArray(big).asSlice(lead, bytes.length);
        assertThat(outcome(heapSlice, mode)).as("heap slice").isEqualTo(expected);
        // The parser reads and never writes.
        assertThat(heapSlice.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes);
    }

    // ------------------------------------------------------------------------------------------ rptun_rsc_s

    @Property(tries = 1000)
    void rptunRscRoundTrips(@ForAll("rptunRscs") RptunRsc rsc) {
        byte[] bytes = rsc.toBytes();
        assertThat(bytes).hasSize(rsc.generation() == Generation.SEED ? 208 : 264);

        ParsedResourceTable parsed = ResourceTableParser.parse(seg(bytes), ParseMode.NUTTX);
        assertThat(RptunRsc.from(parsed)).isEqualTo(rsc);
        assertThat(parsed.table()).isEqualTo(rsc.toTable());
        Generation g = rsc.generation();
        List<Long> expectedOffsets = g == Generation.SEED
                ? List.of(g.logTraceOffset(), g.rpmsgVdevOffset())
                : List.of(g.logTraceOffset(), g.rpmsgVdevOffset(), g.carveoutOffset());
        assertThat(parsed.entryOffsets()).isEqualTo(expectedOffsets);
        assertThat(parsed.configOffset(0)).isEqualTo(g.configOffset());
        assertThat(parsed.vringOffset(0, 1)).isEqualTo(g.rpmsgVring1Offset());
        Statistics.label("generation").collect(g);
    }
}
