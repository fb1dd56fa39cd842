package io.kddm.launch;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Gogo script into its top-level statements (at {@code ;} and line
 * ends outside quotes and brackets), so that each statement's value can be
 * printed as the console would.
 */
final class Statements {
    private Statements() {
    }

    static List<String> split(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < script.length()) {
                    current.append(c).append(script.charAt(++i));
                    continue;
                }
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if ((c == ')' || c == '}' || c == ']') && depth > 0) {
                depth--;
            } else if ((c == ';' || c == '\n') && depth == 0) {
                add(out, current);
                continue;
            }
            current.append(c);
        }
        add(out, current);
        return out;
    }

    private static void add(List<String> out, StringBuilder current) {
        String s = current.toString().trim();
        if (!s.isEmpty()) {
            out.add(s);
        }
        current.setLength(0);
    }
}
