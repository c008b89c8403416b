import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
prose = [
    "The committee met on Tuesday to review the budget for the coming year.",
    "Our printers in the east wing were replaced after eleven years of service.",
    "Please return the signed contract before the end of the month.",
    "A light rain fell over the harbour while the ferries waited at the pier.",
    "Scanning old letters turns fragile paper into text that anyone can search.",
    "The library keeps its rare maps in a cool, dry room on the third floor.",
    "Every invoice must carry the order number and the name of the department.",
    "She walked along the river, counting the bridges she had never crossed.",
    "Quarterly figures show a modest rise in sales across all northern regions.",
    "The engineers measured the voltage twice before they trusted the result.",
    "Visitors are asked to register at the front desk and wear a badge.",
    "A quiet village sits at the foot of the hills, three miles from the coast.",
    "Meeting notes were shared with everyone who could not attend in person.",
    "The recipe calls for flour, butter, two eggs and a pinch of salt.",
    "Backups run every night and are kept for ninety days in a second location.",
    "He wrote the report by hand, then typed it again on the old machine.",
    "Delivery is expected within five working days of the payment date.",
    "The museum opens at nine, closes at six, and is free on the first Sunday.",
    "Children played in the square while their parents talked near the fountain.",
    "Our policy requires two signatures for any purchase above the set limit.",
    "The train was late, so the speaker began her talk twenty minutes after noon.",
    "Wind turbines on the ridge supply power to more than four thousand homes.",
    "Each tenant may store documents for as long as the retention rule allows.",
    "The gardener planted tulips, roses and a row of young apple trees.",
    "Complaints about noise should be sent in writing to the building manager.",
    "A careful reader will notice that the second chapter contradicts the first.",
    "Temperatures dropped sharply overnight, and the lake froze at the edges.",
    "The software update fixed a rare crash that happened during long scans.",
]
months = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
def numbers(r):
    k = r.randrange(5)
    if k == 0:
        return "Invoice %d-%04d dated %d %s %d: %d items, total %d,%03d.%02d EUR." % (
            r.randrange(2019, 2027), r.randrange(10000), r.randrange(1, 29), r.choice(months),
            r.randrange(2019, 2027), r.randrange(1, 40), r.randrange(1, 9), r.randrange(1000), r.randrange(100))
    if k == 1:
        return "Order %d shipped to Room %d, phone +44 20 %04d %04d, ref. %s-%d." % (
            r.randrange(100000, 999999), r.randrange(100, 999), r.randrange(10000), r.randrange(10000),
            r.choice(["AB", "QX", "TN", "KW"]), r.randrange(10, 99))
    if k == 2:
        return "Readings: %d.%d, %d.%d, %d.%d and %d.%d kPa at %02d:%02d." % tuple(
            [r.randrange(90, 110), r.randrange(10)] * 0 + [r.randrange(90, 110) if i % 2 == 0 else r.randrange(10) for i in range(8)]
            + [r.randrange(24), r.randrange(60)])
    if k == 3:
        return "Account %04d %04d %04d holds %d.%02d; %d%% was paid on %d/%02d/%d." % (
            r.randrange(10000), r.randrange(10000), r.randrange(10000), r.randrange(100, 99999),
            r.randrange(100), r.randrange(5, 95), r.randrange(1, 29), r.randrange(1, 13), r.randrange(2019, 2027))
    return "Section %d.%d lists %d of %d units; see page %d, line %d." % (
        r.randrange(1, 12), r.randrange(1, 9), r.randrange(1, 500), r.randrange(500, 1000),
        r.randrange(1, 300), r.randrange(1, 40))
def wrap(words, width):
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
    if cur:
        lines.append(cur)
    return lines
os.makedirs(d + "/truth", exist_ok=True)
objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>"]
kids = []
for p in range(n):
    r = random.Random(1000 + p)
    words = []
    while len(words) < 420:
        s = numbers(r) if r.random() < 0.3 else r.choice(prose)
        words += s.split()
    lines = wrap(words, 76)[:30]
    with open("%s/truth/page-%03d.txt" % (d, p + 1), "w") as f:
        f.write("\n".join(lines) + "\n")
    font, size = ("/F1", 11) if p % 2 == 0 else ("/F2", 12)
    c = "BT %s %d Tf 60 780 Td 21 TL\n" % (font, size)
    for l in lines:
        c += "(%s) '\n" % l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    c += "ET\n"
    kids.append("%d 0 R" % (len(objs) + 1))
    objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (len(objs) + 2))
    objs.append("<< /Length %d >>\nstream\n%sendstream" % (len(c), c))
objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), n)
out = "%PDF-1.4\n"
off = []
for i, o in enumerate(objs):
    off.append(len(out))
    out += "%d 0 obj\n%s\nendobj\n" % (i + 1, o)
x = len(out)
out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + "".join("%010d 00000 n \n" % o for o in off)
out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
with open(d + "/clean.pdf", "w") as f:
    f.write(out)
