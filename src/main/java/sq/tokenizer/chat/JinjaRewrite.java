package sq.tokenizer.chat;

/**
 * Rewrites, inside Jinja tags, the two constructs of HF chat templates that Jinjava parses differently, into
 * equivalent Jinja that it parses as Jinja does (Qwen 3's template has both):
 * <ul>
 * <li>a keyword argument's value gets parentheses: {@code namespace(i=messages|length - 1)} becomes
 * {@code namespace(i=(messages|length - 1))}; Jinja reads the value as a whole expression, Jinjava binds
 * {@code name=value} tighter than arithmetic (it would subtract 1 from the parameter);</li>
 * <li>the reversing slice {@code x[::-1]} becomes {@code (x|reverse|list)}; Jinjava has slices without a step.</li>
 * </ul>
 * Parentheses never change what a Jinja expression means. String literals and text outside tags are left as they are,
 * and so are macro signatures (whose defaults Jinjava reads on its own).
 */
final class JinjaRewrite {
    private static final java.util.regex.Pattern REVERSE = java.util.regex.Pattern.compile("\\[\\s*:\\s*:\\s*-\\s*1\\s*]");

    private JinjaRewrite() {
    }

    static String apply(String template) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int i = 0;
        while (i < template.length()) {
            int open = nextTag(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open + 2);
            boolean expression = template.charAt(open + 1) == '{';
            String close = expression ? "}}" : "%}";
            int end = tagEnd(template, open + 2, close);
            String body = template.substring(open + 2, end);
            boolean macro = !expression && body.stripLeading().replaceFirst("^-", "").stripLeading().startsWith("macro");
            out.append(macro ? body : reverseSlices(keywordArguments(body)));
            i = end;
        }
        return out.toString();
    }

    /** The text of every tag with string literals blanked out: what names filters, tests and functions. */
    static String code(String template) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; ; ) {
            int open = nextTag(template, i);
            if (open < 0) return out.toString();
            int end = tagEnd(template, open + 2, template.charAt(open + 1) == '{' ? "}}" : "%}");
            for (int k = open + 2; k < end; k++) {
                char c = template.charAt(k);
                if (c == '\'' || c == '"') {
                    k = stringEnd(template, k);
                    out.append("''");
                } else {
                    out.append(c);
                }
            }
            out.append('\n');
            i = end;
        }
    }

    /** The next "{{" or "{%" at or after {@code from} that is not inside a comment; -1 if none. */
    private static int nextTag(String t, int from) {
        for (int i = from; i + 1 < t.length(); i++) {
            if (t.charAt(i) != '{') continue;
            char c = t.charAt(i + 1);
            if (c == '{' || c == '%') return i;
            if (c == '#') {
                int endComment = t.indexOf("#}", i + 2);
                if (endComment < 0) return -1;
                i = endComment + 1;
            }
        }
        return -1;
    }

    /** Where the tag's closing delimiter starts (string literals skipped); the text's end if unclosed. */
    private static int tagEnd(String t, int from, String close) {
        for (int i = from; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\'' || c == '"') i = stringEnd(t, i);
            else if (t.startsWith(close, i)) return i;
        }
        return t.length();
    }

    private static int stringEnd(String t, int quote) {
        char q = t.charAt(quote);
        for (int i = quote + 1; i < t.length(); i++) {
            if (t.charAt(i) == '\\') i++;
            else if (t.charAt(i) == q) return i;
        }
        return t.length() - 1;
    }

    /** {@code chain[::-1]} to {@code (chain|reverse|list)}, the chain being the postfix expression before it. */
    private static String reverseSlices(String body) {
        java.util.regex.Matcher m = REVERSE.matcher(body);
        while (m.find()) {
            if (insideString(body, m.start())) continue;
            int start = chainStart(body, m.start());
            if (start == m.start()) continue; // nothing to reverse: leave it for Jinjava to report
            body = body.substring(0, start) + "(" + body.substring(start, m.start()) + "|reverse|list)" + body.substring(m.end());
            m = REVERSE.matcher(body);
        }
        return body;
    }

    /** Start of the identifiers, attributes, subscripts and calls that end just before {@code end}. */
    private static int chainStart(String s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (c == ']' || c == ')') {
                char open = c == ']' ? '[' : '(';
                int depth = 0;
                int j = i - 1;
                for (; j >= 0; j--) {
                    if (s.charAt(j) == c) depth++;
                    else if (s.charAt(j) == open && --depth == 0) break;
                }
                if (j < 0) return i;
                i = j;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else {
                return i;
            }
        }
        return i;
    }

    private static boolean insideString(String s, int at) {
        for (int i = 0; i < at; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(s, i);
                if (end >= at) return true;
                i = end;
            }
        }
        return false;
    }

    private static String keywordArguments(String body) {
        StringBuilder out = new StringBuilder(body.length() + 8);
        // per open bracket: its kind, and whether a keyword value opened at this depth still needs its ')'
        char[] kinds = new char[body.length() + 1];
        boolean[] pending = new boolean[body.length() + 1];
        int depth = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(body, i);
                out.append(body, i, end + 1);
                i = end;
                continue;
            }
            if ((c == ',' || c == ')' || c == ']' || c == '}') && depth > 0 && pending[depth]) {
                out.append(')');
                pending[depth] = false;
            }
            switch (c) {
                case '(', '[', '{' -> kinds[++depth] = c;
                case ')', ']', '}' -> depth = Math.max(0, depth - 1);
                default -> { }
            }
            out.append(c);
            if (depth > 0 && kinds[depth] == '(' && (c == '(' || c == ',')) {
                int name = skipSpaces(body, i + 1);
                int nameEnd = name;
                while (nameEnd < body.length() && (Character.isLetterOrDigit(body.charAt(nameEnd)) || body.charAt(nameEnd) == '_')) nameEnd++;
                int eq = skipSpaces(body, nameEnd);
                if (nameEnd > name && !Character.isDigit(body.charAt(name)) && eq < body.length() && body.charAt(eq) == '='
                        && (eq + 1 == body.length() || body.charAt(eq + 1) != '=')) {
                    out.append(body, i + 1, eq + 1).append('(');
                    pending[depth] = true;
                    i = eq;
                }
            }
        }
        return out.toString();
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }
}
