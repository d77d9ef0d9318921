package sq.tokenizer.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * {@code strftime_now(format)}, which transformers gives templates (Llama 3.1's "Today Date: 26 Jul 2024"): the
 * local time formatted by Python's strftime directives in the C locale.
 */
public final class Strftime {
    private Strftime() {
    }

    public static String now(String format) {
        return format(ZonedDateTime.now(), format);
    }

    static String format(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = d == '-' && i + 1 < format.length(); // glibc's %-d: no zero padding
            if (noPad) d = format.charAt(++i);
            String pad2 = noPad ? "%d" : "%02d";
            switch (d) {
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT));
                case 'b', 'h' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT));
                case 'd' -> b.append(String.format(pad2, t.getDayOfMonth()));
                case 'e' -> b.append(String.format("%2d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format(pad2, t.getMonthValue()));
                case 'y' -> b.append(String.format(pad2, t.getYear() % 100));
                case 'Y' -> b.append(t.getYear());
                case 'H' -> b.append(String.format(pad2, t.getHour()));
                case 'I' -> b.append(String.format(pad2, (t.getHour() + 11) % 12 + 1));
                case 'M' -> b.append(String.format(pad2, t.getMinute()));
                case 'S' -> b.append(String.format(pad2, t.getSecond()));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> b.append(String.format(noPad ? "%d" : "%03d", t.getDayOfYear()));
                case 'w' -> b.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> b.append(t.getDayOfWeek().getValue());
                case 'Z' -> b.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ROOT));
                case 'z' -> b.append(t.getOffset().getId().equals("Z") ? "+0000" : t.getOffset().getId().replace(":", ""));
                case 'F' -> b.append(String.format("%d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth()));
                case 'T' -> b.append(String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond()));
                case '%' -> b.append('%');
                default -> throw new IllegalArgumentException("strftime_now: directive %" + d + " is not supported");
            }
        }
        return b.toString();
    }
}
