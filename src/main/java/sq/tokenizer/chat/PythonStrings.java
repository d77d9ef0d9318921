package sq.tokenizer.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The Python {@code str} methods chat templates call ({@code content.startswith('<tool_response>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}, ...), which Jinjava, resolving methods on Java's String, lacks.
 * Only method calls on strings are resolved here; everything else goes on to Jinjava's own resolvers.
 */
final class PythonStrings extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] a = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), a);
        if (result == NOT_A_METHOD) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_A_METHOD = new Object();

    private static Object call(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> a.length == 1 ? anyOf(a[0], s::startsWith) : NOT_A_METHOD;
            case "endswith" -> a.length == 1 ? anyOf(a[0], s::endsWith) : NOT_A_METHOD;
            case "strip" -> a.length <= 1 ? rstrip(lstrip(s, chars(a)), chars(a)) : NOT_A_METHOD;
            case "lstrip" -> a.length <= 1 ? lstrip(s, chars(a)) : NOT_A_METHOD;
            case "rstrip" -> a.length <= 1 ? rstrip(s, chars(a)) : NOT_A_METHOD;
            case "split" -> a.length == 0 || (a.length == 1 && a[0] == null) ? splitWhitespace(s)
                    : a.length == 1 ? split(s, a[0].toString(), -1)
                    : a.length == 2 ? split(s, a[0].toString(), ((Number) a[1]).intValue()) : NOT_A_METHOD;
            case "lower" -> a.length == 0 ? s.toLowerCase(Locale.ROOT) : NOT_A_METHOD;
            case "upper" -> a.length == 0 ? s.toUpperCase(Locale.ROOT) : NOT_A_METHOD;
            case "title" -> a.length == 0 ? title(s) : NOT_A_METHOD;
            case "capitalize" -> a.length == 0 ? capitalize(s) : NOT_A_METHOD;
            case "replace" -> a.length == 2 ? s.replace(a[0].toString(), a[1].toString()) : NOT_A_METHOD;
            case "find" -> a.length == 1 ? (long) s.indexOf(a[0].toString()) : NOT_A_METHOD;
            case "count" -> a.length == 1 ? count(s, a[0].toString()) : NOT_A_METHOD;
            case "join" -> a.length == 1 && a[0] instanceof Iterable<?> items ? join(s, items) : NOT_A_METHOD;
            case "isspace" -> a.length == 0 ? !s.isEmpty() && s.codePoints().allMatch(Character::isWhitespace) : NOT_A_METHOD;
            case "isdigit" -> a.length == 0 ? !s.isEmpty() && s.codePoints().allMatch(Character::isDigit) : NOT_A_METHOD;
            default -> NOT_A_METHOD;
        };
    }

    /** Python's startswith/endswith take a string or a tuple of strings. */
    private static boolean anyOf(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Iterable<?> options) {
            for (Object o : options) if (test.test(String.valueOf(o))) return true;
            return false;
        }
        return test.test(String.valueOf(arg));
    }

    /** null: Python's default, white space. */
    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : a[0].toString();
    }

    private static boolean strips(String chars, int cp) {
        return chars == null ? Character.isWhitespace(cp) || Character.isSpaceChar(cp) : chars.indexOf(cp) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(chars, s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strips(chars, s.codePointBefore(j))) j -= Character.charCount(s.codePointBefore(j));
        return s.substring(0, j);
    }

    private static List<String> split(String s, String sep, int maxSplit) {
        if (sep.isEmpty()) throw new IllegalArgumentException("split: empty separator");
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int at; (maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, start)) >= 0; start = at + sep.length()) {
            out.add(s.substring(start, at));
        }
        out.add(s.substring(start));
        return out;
    }

    private static List<String> splitWhitespace(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.strip().split("\\s+")) if (!part.isEmpty()) out.add(part);
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            b.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            previousCased = Character.isLetter(cp);
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    private static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1L;
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) b.append(sep);
            b.append(o);
            first = false;
        }
        return b.toString();
    }

    // ---- not a property resolver: all of these leave resolution to the next resolver ----

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
