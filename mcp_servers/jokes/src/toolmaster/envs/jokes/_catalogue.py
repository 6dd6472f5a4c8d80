"""The fixed material the seeded joke worlds are drawn from: categories, jokes and web pages.

Each joke carries a topic keyword that occurs in its text and in no other joke's text, so a
"what is the id of the joke about X" task has exactly one answer in every world.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    """A joke category: its undocumented code, the name people use, and its split."""

    code: str
    name: str
    split: str
    """`train` or `test`: tasks of a split only ask about categories of that split."""
    jokes: tuple[tuple[str, str], ...]
    """(topic keyword, text) pairs."""


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "HOLIDAY_HALLOWEEN",
        "Halloween",
        "train",
        (
            ("skeleton", "Why didn't the skeleton go to the party? He had no body to go with."),
            ("ghoul", "What do you call a ghost's true love? His ghoul-friend."),
            ("vampires", "Why do vampires seem sick? They're always coffin."),
            (
                "mummies",
                "Why don't mummies take vacations? They're afraid they'll relax and unwind.",
            ),
            ("pumpkin", "What do you get when you drop a pumpkin? Squash."),
            ("witches", "What do you call two witches living together? Broommates."),
            ("zombie", "Why did the zombie skip school? He felt rotten."),
            ("werewolf", "What happens when a werewolf eats too fast? He wolfs it down."),
        ),
    ),
    CategorySpec(
        "ANIMALS_CATS",
        "Cats",
        "train",
        (
            ("meowtain", "What do you call a pile of cats? A meowtain."),
            (
                "keep an eye",
                "Why was the cat sitting on the keyboard? To keep an eye on the mouse.",
            ),
            ("purr-ple", "What's a cat's favorite color? Purr-ple."),
            ("poker", "Why don't cats play poker in the jungle? Too many cheetahs."),
            ("hiss", "How do cats end a fight? They hiss and make up."),
            ("krispies", "What do cats eat for breakfast? Mice Krispies."),
            ("first-aid", "Why did the cat join the Red Cross? It wanted to be a first-aid kit."),
            ("mewsic", "What is a cat's favorite movie? The Sound of Mewsic."),
        ),
    ),
    CategorySpec(
        "TECH_PROGRAMMING",
        "Programming",
        "train",
        (
            ("dark mode", "Why do programmers prefer dark mode? Because light attracts bugs."),
            (
                "light bulb",
                "How many programmers does it take to change a light bulb? None: hardware problem.",
            ),
            ("cache", "Why did the developer go broke? Because he used up all his cache."),
            ("java", "Why do Java developers wear glasses? Because they don't C#."),
            (
                "sql",
                "A SQL query walks into a bar, walks up to two tables and asks: can I join you?",
            ),
            (
                "binary",
                "There are 10 kinds of people: those who understand binary and those who don't.",
            ),
            (
                "called back",
                "Why was the function sad after the interview? It never got called back.",
            ),
            ("foo bar", "What is a programmer's favourite hangout place? Foo Bar."),
        ),
    ),
    CategorySpec(
        "SPORTS_FOOTBALL",
        "Football",
        "train",
        (
            ("quarterback", "Why did the football coach go to the bank? To get his quarterback."),
            ("stadium", "Why are football stadiums so cool? Every seat has a fan in it."),
            ("goalkeeper", "Why did the goalkeeper bring string to the match? To tie the game."),
            (
                "cinderella",
                "Why can't Cinderella play football? Because she always runs away from the ball.",
            ),
            ("referee", "Why did the referee carry a pencil? To draw the match."),
            ("fowl", "Why did the chicken get sent off? For persistent fowl play."),
            ("fence", "What runs around a football pitch but never moves? The fence."),
            ("strikers", "Why do strikers make bad chefs? They keep missing the target."),
        ),
    ),
    CategorySpec(
        "MUSIC_GENERAL",
        "Music",
        "train",
        (
            (
                "pianist",
                "Why did the pianist keep banging his head on the keys? He was playing by ear.",
            ),
            ("moo-sician", "What do you call a cow that plays an instrument? A moo-sician."),
            ("haydn", "Why couldn't the string quartet find their composer? He was Haydn."),
            ("tuba", "How do you fix a broken tuba? With a tuba glue."),
            ("drummer", "Why did the drummer get fired? He couldn't keep time."),
            ("mine shaft", "What do you get if you drop a piano down a mine shaft? A flat minor."),
            ("pirates", "Why are pirates good singers? They can hit the high Cs."),
            ("balloons", "What type of music are balloons afraid of? Pop music."),
        ),
    ),
    CategorySpec(
        "SCHOOL_MATH",
        "Math",
        "train",
        (
            ("seven ate", "Why was six afraid of seven? Because seven ate nine."),
            ("math book", "Why did the math book look sad? It had too many problems."),
            ("algebros", "What do you call friends who love math? Algebros."),
            ("obtuse", "Why is the obtuse angle always upset? It's never right."),
            ("parallel", "Parallel lines have so much in common. It's a shame they'll never meet."),
            ("nice belt", "What did the zero say to the eight? Nice belt!"),
            ("square roots", "Why do plants hate math? It gives them square roots."),
            ("dracula", "Are monsters good at math? Not unless you Count Dracula."),
        ),
    ),
    CategorySpec(
        "HOLIDAY_CHRISTMAS",
        "Christmas",
        "test",
        (
            ("reindeer", "What do you call an obnoxious reindeer? Rude-olph."),
            ("snowmen", "What do snowmen eat for lunch? Icebergers."),
            ("elf-abet", "What do elves learn in school? The elf-abet."),
            ("chimney", "Why does Santa go down the chimney? Because it soots him."),
            ("ipad", "What do you get if you cross a Christmas tree with an iPad? A pineapple."),
            ("carol", "What's every parent's favourite Christmas carol? Silent Night."),
            ("turkey", "Why was the turkey in the band? It had the drumsticks."),
            ("gingerbread", "How does a gingerbread man make his bed? With cookie sheets."),
        ),
    ),
    CategorySpec(
        "ANIMALS_DOGS",
        "Dogs",
        "test",
        (
            ("labracadabrador", "What do you call a dog magician? A labracadabrador."),
            ("hot dog", "Why did the dog sit in the shade? He didn't want to be a hot dog."),
            ("squares", "Why do dogs run in circles? It's hard to run in squares."),
            ("sandpaper", "What did the dog say when he sat on sandpaper? Ruff!"),
            ("left feet", "Why aren't dogs good dancers? They have two left feet."),
            ("pupsicle", "What do you call a frozen dog? A pupsicle."),
            ("barking zone", "Why did the puppy get a ticket? For parking in a barking zone."),
            ("paws", "How does a dog stop a video? By pressing paws."),
        ),
    ),
    CategorySpec(
        "FOOD_COFFEE",
        "Coffee",
        "test",
        (
            ("mugged", "Why did the coffee file a police report? It got mugged."),
            ("latte be", "What's the best Beatles song? Latte Be."),
            ("depresso", "What do you call a sad cup of coffee? Depresso."),
            ("grounded", "How are coffee beans like kids? They're always getting grounded."),
            (
                "pressed for time",
                "Why did the espresso keep checking its watch? It was pressed for time.",
            ),
            ("sugar", "What did the coffee say to the sugar? You make my life sweeter."),
            (
                "mondays",
                "Why are cafes so quiet on Mondays? Everyone's too tired to espresso themselves.",
            ),
            ("stolen", "What do you call coffee that was stolen? A mugging."),
        ),
    ),
    CategorySpec(
        "SCIENCE_PHYSICS",
        "Physics",
        "test",
        (
            ("atom", "Why can't you trust an atom? They make up everything."),
            (
                "neutron",
                "A neutron walks into a bar and asks the price. The bartender says: no charge.",
            ),
            ("photon", "What did one photon say to another? I'm travelling light."),
            (
                "biology",
                "Why did the physics teacher dump the biology teacher? There was no chemistry.",
            ),
            ("schrodinger", "Schrodinger's cat walks into a bar. And doesn't."),
            ("newton", "What's Newton's favourite kind of music? Anything with gravity."),
            ("friction", "Why are friction jokes never funny? They just rub people the wrong way."),
            ("eclipse", "How does the moon cut its hair? Eclipse it."),
        ),
    ),
    CategorySpec(
        "WORK_OFFICE",
        "Office",
        "test",
        (
            (
                "next level",
                "Why did the clerk bring a ladder to work? The firm was going to the next level.",
            ),
            ("good day", "My boss told me to have a good day, so I went home."),
            ("scarecrow", "Why did the scarecrow get promoted? He was outstanding in his field."),
            ("printer", "Why did the printer go to therapy? It had too many paper jams."),
            (
                "electricity",
                "I asked for a raise: three companies were after me. Electricity, gas and water.",
            ),
            ("commute", "What's the best part of working from home? The commute from bed to desk."),
            ("stapler", "Why did the stapler quit? It was tired of holding everything together."),
            ("agenda", "Why do meetings never end early? Nobody ever finishes the agenda."),
        ),
    ),
)


@dataclass(frozen=True)
class WebPage:
    """A page `web_search` can return: never a source of catalogue jokes."""

    title: str
    url: str
    snippet: str
    words: frozenset[str]


def _page(title: str, url: str, snippet: str, *words: str) -> WebPage:
    return WebPage(title, f"https://{url}", snippet, frozenset(words))


WEB_PAGES: tuple[WebPage, ...] = (
    _page(
        "Joke - Wikipedia",
        "en.wikipedia.example/wiki/Joke",
        "A joke is a display of humour in which words are used within a specific structure...",
        "joke",
        "jokes",
        "funny",
        "humor",
        "humour",
        "pun",
        "puns",
    ),
    _page(
        "Why do we laugh? The science of humour",
        "science-weekly.example/laughter",
        "Researchers say laughter evolved as a social signal long before language...",
        "funny",
        "humor",
        "humour",
        "laugh",
        "laughter",
    ),
    _page(
        "Halloween - Wikipedia",
        "en.wikipedia.example/wiki/Halloween",
        "Halloween is a celebration observed in many countries on 31 October...",
        "halloween",
    ),
    _page(
        "25 easy Halloween costume ideas",
        "costumes.example/halloween",
        "Last-minute costumes you can make at home with things you already own.",
        "halloween",
        "costume",
        "spooky",
    ),
    _page(
        "Christmas markets to visit this winter",
        "travel.example/christmas-markets",
        "From Vienna to Strasbourg, the most beautiful Christmas markets in Europe.",
        "christmas",
        "xmas",
        "holiday",
    ),
    _page(
        "Cat care basics",
        "pets.example/cats/care",
        "Feeding, grooming and vet visits: what every new cat owner should know.",
        "cat",
        "cats",
        "kitten",
    ),
    _page(
        "Dog training: the first 30 days",
        "pets.example/dogs/training",
        "House training, leash walking and socialising your new puppy.",
        "dog",
        "dogs",
        "puppy",
    ),
    _page(
        "Learn to program in 2026",
        "devcourses.example/learn",
        "A roadmap for beginners: pick a language, build projects, read code.",
        "programming",
        "programmer",
        "programmers",
        "coding",
        "developer",
        "code",
    ),
    _page(
        "Football results and fixtures",
        "sportsdesk.example/football",
        "Live scores, tables and fixtures for every league this weekend.",
        "football",
        "soccer",
        "sports",
    ),
    _page(
        "Music theory for beginners",
        "musiclessons.example/theory",
        "Scales, intervals and chords explained with examples.",
        "music",
        "musician",
        "song",
    ),
    _page(
        "Math homework help",
        "tutoring.example/math",
        "Step-by-step help with algebra, geometry and calculus problems.",
        "math",
        "maths",
        "algebra",
        "school",
    ),
    _page(
        "How to brew better coffee at home",
        "kitchen.example/coffee",
        "Grind size, water temperature and ratios for pour-over and espresso.",
        "coffee",
        "espresso",
        "cafe",
    ),
    _page(
        "Physics news: a new measurement of gravity",
        "science-weekly.example/physics",
        "A team reports the most precise measurement yet of the gravitational constant.",
        "physics",
        "science",
        "gravity",
    ),
    _page(
        "Ten tips for a calmer office",
        "worklife.example/office",
        "Simple habits that make open-plan offices less stressful.",
        "office",
        "work",
        "workplace",
        "boss",
    ),
)
