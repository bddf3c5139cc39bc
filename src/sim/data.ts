// Compact static tables of real EVE Online ids for the simulator (from the SDE summaries in
// shared/fixtures/sde; EVE data is CCP hf.'s). Kept as packed text so the file stays short;
// parsed once at module load. Only ids listed here (plus the generated player pools in names.ts)
// resolve through the simulated ESI, so every id the generator emits must appear below.

export interface SystemRow {
  id: number;
  name: string;
  security: number;
  constellationId: number;
  regionId: number;
}

export interface TypeRow {
  id: number;
  name: string;
  groupId: number;
}

export interface GroupRow {
  id: number;
  categoryId: number;
  name: string;
}

export type SecurityClass = 'highsec' | 'lowsec' | 'nullsec' | 'w-space' | 'pochven';

/** Space class as zKillboard labels it (ESI rounds 0.45 up to high-sec). */
export function securityClass(s: SystemRow): SecurityClass {
  if (s.id >= 31_000_000) return 'w-space';
  if (s.regionId === 10_000_070) return 'pochven';
  if (s.security >= 0.45) return 'highsec';
  return s.security > 0 ? 'lowsec' : 'nullsec';
}

function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().split('|'));
}

// id|name|security|constellation|region. Trade hubs, low-sec hot spots, null-sec staging and
// capitals, Pochven, J-space and Thera: the mix that gives zkb `loc:` labels real variety.
export const SYSTEMS: readonly SystemRow[] = rows(`
30000142|Jita|0.945913|20000020|10000002
30000144|Perimeter|0.949|20000020|10000002
30000145|New Caldari|0.949|20000020|10000002
30000139|Urlen|0.949|20000020|10000002
30000140|Maurasi|0.912748|20000020|10000002
30000143|Niyabainen|0.949|20000020|10000002
30000138|Ikuchi|0.949|20000019|10000002
30000186|Oijanen|0.351969|20000026|10000002
30001363|Sobaseki|0.841025|20000199|10000016
30001376|Nourvukaiken|0.816557|20000201|10000016
30002187|Amarr|0.949|20000322|10000043
30003491|Ashab|0.90946|20000509|10000043
30003522|Sarum Prime|0.949|20000514|10000043
30002053|Hek|0.8|20000302|10000042
30002050|Hagilur|0.362024|20000302|10000042
30002056|Resbroko|0.437876|20000303|10000042
30002066|Arnher|0.1921|20000304|10000042
30002086|Turnur|0.387434|20000307|10000042
30003465|Tabbetzur|0.271666|20000505|10000042
30002510|Rens|0.894582|20000367|10000030
30002537|Amamake|0.438761|20000372|10000030
30002538|Vard|0.379096|20000372|10000030
30002542|Auga|0.385484|20000372|10000030
30002659|Dodixie|0.868407|20000389|10000032
30002661|Botane|0.87544|20000389|10000032
30002693|Egghelende|0.449268|20000394|10000032
30002718|Rancer|0.364661|20000398|10000032
30002765|Sivala|0.550532|20000405|10000033
30002768|Uedama|0.50544|20000406|10000033
30002813|Tama|0.282556|20000412|10000033
30003067|Huola|0.370249|20000448|10000038
30003068|Kourmonen|0.36348|20000448|10000038
30003069|Kamela|0.440866|20000448|10000038
30003793|Harroule|0.085061|20000553|10000048
30003837|Aldranette|0.36751|20000561|10000048
30004980|Fliet|0.345511|20000729|10000064
30005000|Old Man Star|0.335687|20000731|10000064
30005196|Ahbazon|0.42052|20000760|10000067
30045344|Nennamaila|0.274258|20000785|10000069
30045346|Kedama|0.338464|20000782|10000069
30000240|4-HWWF|-0.473026|20000034|10000003
30000772|C-J6MT|-0.288745|20000113|10000009
30000848|M-OEE8|-0.218329|20000124|10000010
30001161|HED-GP|-0.146322|20000169|10000014
30001198|GE-8JV|-0.209423|20000175|10000014
30001199|3-OKDA|-0.16915|20000175|10000014
30001964|O-BY0Y|-0.13958|20000289|10000023
30001978|X-7OMU|-0.141435|20000291|10000023
30001984|EC-P8R|-0.446575|20000292|10000023
30002016|7RM-N0|-0.06264|20000297|10000023
30002157|B-R5RB|-0.708121|20000317|10000025
30002904|VFK-IV|-0.849244|20000426|10000035
30003135|D-PNP9|-0.5696|20000458|10000039
30004009|49-U6U|-0.572324|20000585|10000050
30004028|E-VKJV|-0.463907|20000588|10000050
30004059|9-4RP2|-0.243558|20000593|10000051
30004589|J5A-IX|-0.003571|20000669|10000058
30004665|Y-2ANO|-1.0|20000681|10000058
30004711|PR-8CA|-0.02654|20000688|10000060
30004735|T5ZI-S|-0.143066|20000692|10000060
30004751|K-6K16|-0.434643|20000695|10000060
30004759|1DQ1-A|-0.385782|20000696|10000060
30004807|UALX-3|-0.186762|20000703|10000061
30003504|Niarja|-1.0|20000788|10000070
30002411|Skarkon|-1.0|20000788|10000070
30001372|Kino|-1.0|20000787|10000070
30002652|Ala|-1.0|20000789|10000070
30002702|Archee|-1.0|20000789|10000070
30000157|Otela|-1.0|20000787|10000070
30002737|Konola|-1.0|20000787|10000070
30000206|Wirashoda|-1.0|20000789|10000070
30001381|Arvasaras|-1.0|20000789|10000070
30005029|Vale|-1.0|20000789|10000070
31000005|Thera|-0.99|21000324|11000031
31000008|J100744|-0.99|21000311|11000001
31000376|J160941|-0.99|21000023|11000004
31000709|J123555|-0.99|21000055|11000007
31002238|J115405|-0.99|21000280|11000028
31002487|J105934|-0.99|21000298|11000030
31002552|J005299|-0.99|21000328|11000016
31002586|J000327|-0.99|21000332|11000032
`).map(([id, name, sec, c, r]) => ({
  id: Number(id),
  name: name ?? '',
  security: Number(sec),
  constellationId: Number(c),
  regionId: Number(r),
}));

export const REGION_NAMES: ReadonlyMap<number, string> = new Map(
  rows(`
10000002|The Forge
10000003|Vale of the Silent
10000009|Insmother
10000010|Tribute
10000014|Catch
10000016|Lonetrek
10000023|Pure Blind
10000025|Immensea
10000030|Heimatar
10000032|Sinq Laison
10000033|The Citadel
10000035|Deklein
10000038|The Bleak Lands
10000039|Esoteria
10000042|Metropolis
10000043|Domain
10000048|Placid
10000050|Querious
10000051|Cloud Ring
10000058|Fountain
10000060|Delve
10000061|Tenerifis
10000064|Essence
10000067|Genesis
10000069|Black Rise
10000070|Pochven
11000001|A-R00001
11000004|B-R00004
11000007|B-R00007
11000016|D-R00016
11000028|E-R00028
11000030|F-R00030
11000031|G-R00031
11000032|H-R00032
`).map(([id, name]) => [Number(id), name ?? '']),
);

// group id|category id|name. Category 6 ships, 65 structures, 7 modules, 8 charges, 11 NPCs.
export const GROUPS: readonly GroupRow[] = rows(`
25|6|Frigate
26|6|Cruiser
27|6|Battleship
28|6|Hauler
29|6|Capsule
30|6|Titan
358|6|Heavy Assault Cruiser
419|6|Combat Battlecruiser
420|6|Destroyer
463|6|Mining Barge
485|6|Dreadnought
513|6|Freighter
541|6|Interdictor
543|6|Exhumer
547|6|Carrier
659|6|Supercarrier
830|6|Covert Ops
831|6|Interceptor
900|6|Marauder
902|6|Jump Freighter
963|6|Strategic Cruiser
1305|6|Tactical Destroyer
1538|6|Force Auxiliary
1657|65|Citadel
1404|65|Engineering Complex
1406|65|Refinery
12|2|Cargo Container
340|2|Secure Cargo Container
18|4|Mineral
38|7|Shield Extender
46|7|Propulsion Module
52|7|Warp Scrambler
53|7|Energy Weapon
55|7|Projectile Weapon
59|7|Gyrostabilizer
60|7|Damage Control
62|7|Armor Repair Unit
65|7|Stasis Web
71|7|Energy Neutralizer
74|7|Hybrid Weapon
508|7|Missile Launcher Torpedo
509|7|Missile Launcher Light
510|7|Missile Launcher Heavy
1986|7|Precursor Weapon
1327|66|Structure XL Missile Launcher
83|8|Projectile Ammo
85|8|Hybrid Charge
86|8|Frequency Crystal
385|8|Heavy Missile
916|8|Nanite Repair Paste
100|18|Combat Drone
300|20|Cyberimplant
1875|5|PLEX
550|11|Asteroid Angel Cartel Frigate
555|11|Asteroid Blood Raiders Cruiser
560|11|Asteroid Guristas Battleship
572|11|Asteroid Serpentis Frigate
1530|11|Drifter Response Battleship
1982|11|Abyssal Spaceship Entities
`).map(([id, cat, name]) => ({ id: Number(id), categoryId: Number(cat), name: name ?? '' }));

// Ships players fly and lose (type id|name|group id), weighted later by group.
export const SHIPS: readonly TypeRow[] = types(`
670|Capsule|29
587|Rifter|25
603|Merlin|25
593|Tristan|25
597|Punisher|25
608|Atron|25
32880|Venture|25
33468|Astero|25
47269|Damavik|25
11176|Crow|831
11198|Stiletto|831
11172|Helios|830
11188|Anathema|830
16240|Catalyst|420
16242|Thrasher|420
16236|Coercer|420
16238|Cormorant|420
22456|Sabre|541
22460|Eris|541
34562|Svipul|1305
35683|Hecate|1305
621|Caracal|26
622|Stabber|26
626|Vexor|26
627|Thorax|26
2006|Omen|26
17715|Gila|26
33470|Stratios|26
47270|Vedmak|26
12003|Zealot|358
12005|Ishtar|358
12015|Muninn|358
11993|Cerberus|358
29984|Tengu|963
29990|Loki|963
24698|Drake|419
24702|Hurricane|419
16227|Ferox|419
24696|Harbinger|419
638|Raven|27
641|Megathron|27
645|Dominix|27
17738|Machariel|27
17918|Rattlesnake|27
47271|Leshak|27
28659|Paladin|900
28710|Golem|900
17476|Covetor|463
22544|Hulk|543
648|Badger|28
1944|Bestower|28
20185|Charon|513
20189|Fenrir|513
28844|Rhea|902
23757|Archon|547
23911|Thanatos|547
37604|Apostle|1538
19722|Naglfar|485
19724|Moros|485
23913|Nyx|659
671|Erebus|30
`);

export const STRUCTURES: readonly TypeRow[] = types(`
35832|Astrahus|1657
35833|Fortizar|1657
35834|Keepstar|1657
35825|Raitaru|1404
35826|Azbel|1404
35835|Athanor|1406
35836|Tatara|1406
`);

// Weapons by the ship group that fits them (attacker weapon_type_id).
export const WEAPONS: readonly TypeRow[] = types(`
2889|200mm AutoCannon II|55
2873|125mm Gatling AutoCannon II|55
3057|Mega Pulse Laser II|53
3520|Heavy Pulse Laser II|53
3090|425mm Railgun II|74
3186|Neutron Blaster Cannon II|74
3178|Light Neutron Blaster II|74
2404|Light Missile Launcher II|509
2410|Heavy Missile Launcher II|510
2420|Torpedo Launcher II|508
47918|Heavy Entropic Disintegrator II|1986
2456|Hobgoblin II|100
2185|Hammerhead II|100
2446|Ogre II|100
448|Warp Scrambler II|52
12271|Heavy Energy Neutralizer II|71
35921|Standup Anticapital Missile Launcher I|1327
`);

// Fitted modules, charges and cargo (victim items); containers get nested items.
export const ITEMS: readonly TypeRow[] = types(`
2048|Damage Control II|60
519|Gyrostabilizer II|59
12076|50MN Microwarpdrive II|46
440|5MN Microwarpdrive II|46
3841|Large Shield Extender II|38
3540|Large Armor Repairer II|62
527|Stasis Webifier II|65
185|EMP S|83
230|Antimatter Charge M|85
262|Multifrequency L|86
209|Scourge Heavy Missile|385
28668|Nanite Repair Paste|916
34|Tritanium|18
36|Mexallon|18
19540|High-grade Snake Alpha|300
44992|PLEX|1875
`);

export const CONTAINERS: readonly TypeRow[] = types(`
3467|Small Secure Container|340
3465|Large Secure Container|340
11489|Giant Secure Container|340
3297|Small Standard Container|12
`);

// NPC attackers: ship type|name|group|corporation|faction (0: ESI sends no faction_id for them).
export const NPC_SHIPS: readonly (TypeRow & { corporationId: number; factionId: number })[] = rows(`
23339|Guristas Destroyer|560|1000127|500010
23337|Guristas Eliminator|560|1000127|500010
16561|Angel Viper|550|1000124|500011
11043|Blood Arch Templar|555|1000134|500012
2379|Serpentis Spy|572|1000135|500020
37473|Drifter Response Battleship|1530|1000274|0
48092|Striking Damavik|1982|1000293|0
1912|Concord Police Battleship|27|1000125|500006
`).map(([id, name, g, corp, fac]) => ({
  id: Number(id),
  name: name ?? '',
  groupId: Number(g),
  corporationId: Number(corp),
  factionId: Number(fac),
}));

export const NPC_CORPORATIONS: ReadonlyMap<number, string> = new Map(
  rows(`
1000127|Guristas
1000124|Archangels
1000134|Blood Raiders
1000135|Serpentis Corporation
1000274|Drifters
1000293|Triglavian Collective
1000125|CONCORD
`).map(([id, name]) => [Number(id), name ?? '']),
);

export const FACTIONS: ReadonlyMap<number, string> = new Map(
  rows(`
500001|Caldari State
500002|Minmatar Republic
500003|Amarr Empire
500004|Gallente Federation
500006|CONCORD Assembly
500010|Guristas Pirates
500011|Angel Cartel
500012|Blood Raider Covenant
500019|Sansha's Nation
500020|Serpentis
`).map(([id, name]) => [Number(id), name ?? '']),
);

/** Rough hull value by ship group, ISK (zkb fitted/total values scale from these). */
export const GROUP_VALUE_ISK: ReadonlyMap<number, number> = new Map([
  [29, 10_000],
  [25, 1_500_000],
  [831, 40_000_000],
  [830, 35_000_000],
  [420, 2_000_000],
  [541, 70_000_000],
  [1305, 60_000_000],
  [26, 12_000_000],
  [358, 200_000_000],
  [963, 450_000_000],
  [419, 60_000_000],
  [27, 250_000_000],
  [900, 1_500_000_000],
  [463, 35_000_000],
  [543, 300_000_000],
  [28, 2_000_000],
  [513, 1_800_000_000],
  [902, 9_000_000_000],
  [547, 1_500_000_000],
  [1538, 1_800_000_000],
  [485, 2_500_000_000],
  [659, 25_000_000_000],
  [30, 120_000_000_000],
  [1657, 2_000_000_000],
  [1404, 1_000_000_000],
  [1406, 1_200_000_000],
]);

function types(text: string): TypeRow[] {
  return rows(text).map(([id, name, g]) => ({ id: Number(id), name: name ?? '', groupId: Number(g) }));
}

/** Every type the simulator can name: ships, structures, weapons, items, containers, NPC hulls. */
export const ALL_TYPES: ReadonlyMap<number, TypeRow> = new Map(
  [...SHIPS, ...STRUCTURES, ...WEAPONS, ...ITEMS, ...CONTAINERS, ...NPC_SHIPS].map((t) => [t.id, t]),
);
export const GROUPS_BY_ID: ReadonlyMap<number, GroupRow> = new Map(GROUPS.map((g) => [g.id, g]));
export const SYSTEMS_BY_ID: ReadonlyMap<number, SystemRow> = new Map(SYSTEMS.map((s) => [s.id, s]));
