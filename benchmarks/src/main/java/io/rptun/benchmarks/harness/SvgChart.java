package io.rptun.benchmarks.harness;

import java.util.List;
import java.util.Locale;

/**
 * A tiny SVG writer for the report: panels of horizontal grouped bars (one group per case, one bar per
 * series, each labelled with its value) stacked vertically, and lines of text. Plain SVG 1.1 with no
 * script or external font, so it renders the same on GitHub, in a browser and in an image viewer.
 */
final class SvgChart {
    /** One bar: its series index (colour), value (length) and label. */
    record Bar(int series, double value, String text) {
    }

    /** One case: a label on the left and its bars. */
    record Group(String label, List<Bar> bars) {
    }

    static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
    private static final int WIDTH = 1000;
    private static final int LABEL_WIDTH = 330;
    private static final int BAR_HEIGHT = 14;
    private static final int BAR_GAP = 3;
    private static final int GROUP_GAP = 10;
    private static final int VALUE_ROOM = 230;

    private final StringBuilder body = new StringBuilder();
    private int y = 0;

    /** A title line in bold. */
    SvgChart title(String text) {
        y += 26;
        body.append(String.format(Locale.ROOT,
                "<text x=\"10\" y=\"%d\" font-size=\"18\" font-weight=\"bold\">%s</text>%n", y, escape(text)));
        return this;
    }

    /** A line of small text. */
    SvgChart text(String text) {
        y += 17;
        body.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-size=\"12\">%s</text>%n", y,
                escape(text)));
        return this;
    }

    /** Vertical space. */
    SvgChart gap(int pixels) {
        y += pixels;
        return this;
    }

    /**
     * A panel: its heading, a legend of {@code series} names, and one group of bars per case, scaled so that
     * the largest value fills the plot width.
     */
    SvgChart panel(String heading, List<String> series, List<Group> groups) {
        return panel(heading, series, groups, false);
    }

    /**
     * Like {@link #panel(String, List, List)}; with {@code log} the bar lengths are on a log scale (decades
     * marked from the smallest value's down), for figures that span orders of magnitude such as latency
     * percentiles.
     */
    SvgChart panel(String heading, List<String> series, List<Group> groups, boolean log) {
        y += 30;
        body.append(String.format(Locale.ROOT,
                "<text x=\"10\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", y, escape(heading)));
        y += 20;
        int x = LABEL_WIDTH;
        for (int i = 0; i < series.size(); i++) {
            body.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
                    x, y - 11, COLOURS[i % COLOURS.length], x + 16, y, escape(series.get(i))));
            x += 24 + 7 * series.get(i).length();
        }
        y += 10;
        double max = 0;
        double min = Double.MAX_VALUE;
        for (Group g : groups) {
            for (Bar b : g.bars()) {
                max = Math.max(max, b.value());
                if (b.value() > 0) {
                    min = Math.min(min, b.value());
                }
            }
        }
        int plot = WIDTH - LABEL_WIDTH - VALUE_ROOM;
        double floor = log && min < Double.MAX_VALUE ? Math.pow(10, Math.floor(Math.log10(min))) : 0;
        double decades = log ? Math.max(1, Math.ceil(Math.log10(max / floor))) : 0;
        int axis = y;
        if (log) {
            y += 6;
        }
        int top = y;
        for (Group g : groups) {
            int height = g.bars().size() * (BAR_HEIGHT + BAR_GAP);
            body.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">%s</text>%n",
                    LABEL_WIDTH - 8, y + height / 2 + 4, escape(g.label())));
            for (Bar b : g.bars()) {
                int w = max <= 0 ? 0 : log
                        ? (int) Math.round(plot * Math.max(0, Math.log10(Math.max(b.value(), floor) / floor)) / decades)
                        : (int) Math.round(plot * Math.max(0, b.value()) / max);
                body.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                                + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n",
                        LABEL_WIDTH, y, Math.max(w, 1), BAR_HEIGHT, COLOURS[b.series() % COLOURS.length],
                        LABEL_WIDTH + Math.max(w, 1) + 4, y + BAR_HEIGHT - 3, escape(b.text())));
                y += BAR_HEIGHT + BAR_GAP;
            }
            y += GROUP_GAP;
        }
        if (log) {
            // Grid lines behind nothing: drawn last but light, and the bars leave them visible between groups.
            for (int d = 0; d <= decades; d++) {
                int tx = LABEL_WIDTH + (int) Math.round(plot * d / decades);
                body.append(String.format(Locale.ROOT,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" stroke-dasharray=\"2,3\"/>"
                                + "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#666\" text-anchor=\"middle\">%s</text>%n",
                        tx, axis + 2, tx, y - GROUP_GAP + 2, tx, axis + 1, tick(floor * Math.pow(10, d))));
            }
        }
        body.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" stroke-width=\"1\"/>%n",
                LABEL_WIDTH, top - 4, LABEL_WIDTH, y - GROUP_GAP + 2));
        return this;
    }

    private static String tick(double v) {
        return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
    }

    /** The whole document. */
    String render() {
        int height = y + 16;
        return String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                        + " font-family=\"Helvetica, Arial, sans-serif\">%n"
                        + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n%s</svg>%n",
                WIDTH, height, WIDTH, height, body);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
