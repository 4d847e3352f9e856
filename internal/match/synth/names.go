package synth

// Name and place tables for the six Western Balkan countries. Names are
// in their canonical Latin spelling with diacritics; Cyrillic and other
// variants are derived by the corruption functions.

// group is a naming tradition.
type group int

const (
	grpSerb group = iota // Serbian / Montenegrin (Cyrillic or Latin)
	grpBosniak
	grpCroat
	grpMacedonian // Macedonian (Cyrillic)
	grpAlbanian
)

var maleNames = [...][]string{
	grpSerb: {"Marko", "Nikola", "Stefan", "Luka", "Miloš", "Đorđe", "Nemanja", "Aleksandar", "Dragan", "Zoran",
		"Goran", "Milan", "Dejan", "Nenad", "Slobodan", "Vladimir", "Jovan", "Petar", "Dušan", "Bojan", "Ivan",
		"Srđan", "Željko", "Vuk", "Lazar", "Filip", "Uroš", "Mihailo", "Predrag", "Saša", "Branislav", "Radovan",
		"Živko", "Ljubomir", "Čedomir", "Milorad", "Dragoljub", "Vojislav", "Stevan", "Mladen", "Veljko", "Ognjen",
		"Danilo", "Vasilije", "Momčilo", "Radoš", "Bogdan", "Obrad", "Rajko", "Dalibor"},
	grpBosniak: {"Amar", "Adnan", "Emir", "Haris", "Kenan", "Mirza", "Edin", "Senad", "Nermin", "Alen", "Tarik",
		"Armin", "Dženan", "Ismet", "Muhamed", "Safet", "Husein", "Hasan", "Mehmed", "Faruk", "Elvir", "Admir",
		"Almir", "Jasmin", "Sead", "Enes", "Zlatan", "Samir", "Ćamil", "Šefik"},
	grpCroat: {"Ivan", "Josip", "Ante", "Mario", "Tomislav", "Marko", "Stjepan", "Dario", "Krešimir", "Zvonimir",
		"Franjo", "Mate", "Nikola", "Dražen", "Hrvoje"},
	grpMacedonian: {"Aleksandar", "Nikola", "Goran", "Dragan", "Zoran", "Igor", "Dimitar", "Stefan", "Filip", "Marko",
		"Darko", "Vladimir", "Bojan", "Kiril", "Petar", "Trajče", "Blagoja", "Gjorgji", "Kosta", "Toni", "Vlatko",
		"Mile", "Ljupčo", "Zlatko", "Hristijan", "Kjiro", "Naum", "Metodija", "Jovče", "Blaže"},
	grpAlbanian: {"Arben", "Agron", "Besnik", "Blerim", "Driton", "Fatmir", "Gëzim", "Ilir", "Kastriot", "Luan",
		"Mentor", "Petrit", "Valon", "Ardit", "Erion", "Endrit", "Dritan", "Gjergj", "Fisnik", "Albion", "Artan",
		"Bujar", "Ermal", "Florian", "Genc", "Ismail", "Shpëtim", "Xhevdet", "Çlirim", "Skënder", "Naim", "Fatos",
		"Bekim", "Hysen", "Rexhep", "Qamil", "Xhafer", "Ylli", "Lulzim", "Adem", "Burim", "Edmond", "Arianit",
		"Mërgim", "Visar", "Labinot", "Kujtim", "Nexhat", "Zenel", "Ramadan"},
}

var femaleNames = [...][]string{
	grpSerb: {"Jelena", "Milica", "Ana", "Marija", "Jovana", "Ivana", "Dragana", "Snežana", "Tijana", "Ljiljana",
		"Gordana", "Svetlana", "Biljana", "Jasmina", "Nataša", "Maja", "Tamara", "Danijela", "Vesna", "Sanja",
		"Katarina", "Mirjana", "Zorica", "Đurđa", "Nevena", "Teodora", "Sofija", "Anđela", "Kristina", "Dušica",
		"Radmila", "Slavica", "Vukica", "Olivera", "Dragica", "Živana", "Ljubica", "Nada", "Bojana", "Milena"},
	grpBosniak: {"Amra", "Amina", "Lejla", "Selma", "Emina", "Aida", "Alma", "Merima", "Azra", "Ajla", "Dženana",
		"Sabina", "Edina", "Adna", "Lamija", "Hana", "Belma", "Mirela", "Nermina", "Fatima", "Šejla", "Ćamila"},
	grpCroat: {"Ana", "Marija", "Ivana", "Petra", "Lucija", "Katarina", "Mirjana", "Snježana", "Kata", "Dubravka"},
	grpMacedonian: {"Marija", "Elena", "Ana", "Biljana", "Snežana", "Vesna", "Jasmina", "Katerina", "Sanja",
		"Emilija", "Ivana", "Aleksandra", "Verica", "Dragica", "Nataša", "Slavica", "Gordana", "Ljubica",
		"Simona", "Teodora", "Blagica", "Ružica", "Kalina", "Ǵurǵa", "Stojanka"},
	grpAlbanian: {"Arta", "Blerta", "Drita", "Elira", "Fatime", "Gentiana", "Hana", "Jeta", "Klodiana", "Lindita",
		"Merita", "Mimoza", "Teuta", "Valbona", "Vjosa", "Zana", "Besa", "Dafina", "Erjona", "Fjolla", "Shqipe",
		"Xhevahire", "Ardita", "Qëndresa", "Albulena", "Liridona", "Shpresa", "Mirela", "Donika", "Lumturie",
		"Rrezarta", "Vlora", "Egzona", "Kaltrina", "Nora", "Ilirjana", "Diellza", "Afërdita", "Mëlihate", "Zyrafete"},
}

var surnames = [...][]string{
	grpSerb: {"Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Stanković",
		"Pavlović", "Milošević", "Popović", "Živković", "Todorović", "Ristić", "Kostić", "Lazić", "Savić",
		"Kovačević", "Mitrović", "Đukić", "Vasić", "Tomić", "Obradović", "Radovanović", "Lukić", "Marjanović",
		"Simić", "Stevanović", "Milić", "Milovanović", "Ivanović", "Filipović", "Vuković", "Nedeljković",
		"Mladenović", "Janković", "Radosavljević", "Ćirić", "Knežević", "Zdravković", "Božić", "Gajić",
		"Bogdanović", "Šarić", "Vučković", "Perić", "Jakovljević", "Milenković", "Ćosić", "Maksimović",
		"Šćepanović", "Vujović", "Radulović", "Bulatović", "Đukanović", "Vujošević", "Bojović", "Rakočević",
		"Lalović", "Vukčević", "Džodić", "Ljubisavljević", "Njegovan", "Čolić", "Đurić", "Despotović",
		"Grujić", "Spasić", "Aćimović", "Zečević", "Vlahović", "Medojević", "Dragović", "Šoškić", "Ašanin"},
	grpBosniak: {"Hodžić", "Hadžić", "Begić", "Delić", "Mehmedović", "Hasanović", "Husić", "Omerović", "Alić",
		"Salihović", "Mujić", "Hajdarević", "Suljić", "Avdić", "Ibrahimović", "Halilović", "Smajić", "Bešić",
		"Softić", "Šehić", "Karić", "Muminović", "Osmanović", "Džafić", "Ćatić", "Memić", "Zukić", "Spahić",
		"Hukić", "Čaušević", "Mustafić", "Jusufović", "Bajrić", "Imamović", "Kurtović", "Mešić", "Tahirović",
		"Pašić", "Ramić", "Selimović"},
	grpCroat: {"Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Vuković", "Marković",
		"Perić", "Pavlović", "Tomić", "Božić", "Grgić", "Šimić", "Barišić", "Ćorić", "Jelić", "Zovko", "Bošnjak"},
	grpMacedonian: {"Stojanovski", "Nikolovski", "Trajkovski", "Petrovski", "Jovanovski", "Dimitrovski",
		"Ristovski", "Georgievski", "Angelovski", "Stefanovski", "Kostovski", "Iliev", "Dimovski", "Todorovski",
		"Popovski", "Velkovski", "Spasovski", "Mitrevski", "Pavlovski", "Gjorgjievski", "Kocevski", "Naumovski",
		"Zdravkovski", "Lazarevski", "Blaževski", "Krstevski", "Markovski", "Taškovski", "Trpevski",
		"Veljanovski", "Jakimovski", "Arsovski", "Nedelkovski", "Kjosevski", "Janev", "Ognenovski", "Dzambazov",
		"Čalovski", "Šopov", "Bogoev"},
	grpAlbanian: {"Hoxha", "Krasniqi", "Gashi", "Berisha", "Morina", "Shala", "Bytyqi", "Kelmendi", "Hasani",
		"Ahmeti", "Rexhepi", "Kryeziu", "Mustafa", "Thaçi", "Osmani", "Bajrami", "Sadiku", "Zeqiri", "Haliti",
		"Rama", "Leka", "Çela", "Dervishi", "Hysa", "Shehu", "Marku", "Gjoka", "Kola", "Tahiri", "Musliu",
		"Sylejmani", "Xhaferi", "Jashari", "Mehmeti", "Dushku", "Qosja", "Llapashtica", "Dema", "Lleshi",
		"Përmeti", "Bregu", "Zhupa", "Kaçi", "Dibra", "Veliu", "Basha", "Duka", "Malaj", "Prenga", "Dauti",
		"Gjini", "Mala", "Lika", "Kastrati", "Ymeri", "Zyberi", "Beqiri", "Thaqi", "Kurti", "Haradinaj",
		"Limaj", "Selimi", "Ibrahimi", "Nuhiu", "Ademi", "Qerimi", "Rrustemi", "Halimi", "Salihu", "Daci"},
}

// place is a city with its spellings: canonical local name first, then
// variants in the other languages of the region (Latin), then Cyrillic.
type place struct {
	names    []string
	postcode string
}

type country struct {
	code    string
	names   []string // local, English, regional variants
	groups  []group
	weights []float64
	places  []place
	streets []string
	idKind  string // jmbg, al, xk
	region  [2]int // JMBG region code range
	mobile  []string
}

var countries = []country{
	{code: "RS", names: []string{"Srbija", "Serbia", "Србија", "Serbi"}, groups: []group{grpSerb, grpBosniak, grpAlbanian}, weights: []float64{0.88, 0.06, 0.06},
		places: []place{{[]string{"Beograd", "Belgrade", "Београд", "Beogradi"}, "11000"}, {[]string{"Novi Sad", "Нови Сад", "Novisad"}, "21000"},
			{[]string{"Niš", "Nis", "Ниш"}, "18000"}, {[]string{"Kragujevac", "Крагујевац"}, "34000"}, {[]string{"Subotica", "Суботица"}, "24000"},
			{[]string{"Čačak", "Cacak", "Чачак"}, "32000"}, {[]string{"Kraljevo", "Краљево"}, "36000"}, {[]string{"Novi Pazar", "Нови Пазар"}, "36300"},
			{[]string{"Leskovac", "Лесковац"}, "16000"}, {[]string{"Šabac", "Sabac", "Шабац"}, "15000"}, {[]string{"Preševo", "Presheva", "Прешево"}, "17523"}},
		streets: []string{"Kralja Petra", "Njegoševa", "Karađorđeva", "Bulevar oslobođenja", "Vojvode Stepe", "Cara Dušana", "Svetog Save", "Ive Andrića", "Zmaj Jovina", "Kneza Miloša", "Nemanjina", "Takovska"},
		idKind:  "jmbg", region: [2]int{71, 89}, mobile: []string{"060", "061", "062", "063", "064", "065", "066", "069"}},
	{code: "ME", names: []string{"Crna Gora", "Montenegro", "Црна Гора", "Mali i Zi"}, groups: []group{grpSerb, grpBosniak, grpAlbanian}, weights: []float64{0.72, 0.14, 0.14},
		places: []place{{[]string{"Podgorica", "Подгорица", "Podgorica"}, "81000"}, {[]string{"Nikšić", "Niksic", "Никшић"}, "81400"},
			{[]string{"Bar", "Tivari", "Бар"}, "85000"}, {[]string{"Budva", "Будва"}, "85310"}, {[]string{"Ulcinj", "Ulqin", "Улцињ"}, "85360"},
			{[]string{"Pljevlja", "Пљевља"}, "84210"}, {[]string{"Bijelo Polje", "Бијело Поље"}, "84000"}, {[]string{"Cetinje", "Цетиње"}, "81250"}},
		streets: []string{"Slobode", "Njegoševa", "Bulevar Svetog Petra Cetinjskog", "Hercegovačka", "Moskovska", "Vaka Đurovića", "Bokeška", "Marka Miljanova"},
		idKind:  "jmbg", region: [2]int{21, 29}, mobile: []string{"067", "068", "069", "063"}},
	{code: "BA", names: []string{"Bosna i Hercegovina", "Bosnia and Herzegovina", "BiH", "Босна и Херцеговина"}, groups: []group{grpBosniak, grpSerb, grpCroat}, weights: []float64{0.5, 0.32, 0.18},
		places: []place{{[]string{"Sarajevo", "Сарајево"}, "71000"}, {[]string{"Banja Luka", "Banjaluka", "Бања Лука"}, "78000"},
			{[]string{"Tuzla", "Тузла"}, "75000"}, {[]string{"Zenica", "Зеница"}, "72000"}, {[]string{"Mostar", "Мостар"}, "88000"},
			{[]string{"Bijeljina", "Бијељина"}, "76300"}, {[]string{"Brčko", "Brcko", "Брчко"}, "76100"}, {[]string{"Bihać", "Bihac", "Бихаћ"}, "77000"},
			{[]string{"Trebinje", "Требиње"}, "89101"}, {[]string{"Doboj", "Добој"}, "74000"}},
		streets: []string{"Ferhadija", "Maršala Tita", "Zmaja od Bosne", "Titova", "Kralja Tvrtka", "Bulevar Meše Selimovića", "Gospodska", "Kralja Petra I Karađorđevića", "Fra Anđela Zvizdovića", "Obala Kulina bana"},
		idKind:  "jmbg", region: [2]int{10, 19}, mobile: []string{"061", "062", "063", "065", "066"}},
	{code: "MK", names: []string{"Severna Makedonija", "North Macedonia", "Северна Македонија", "Maqedonia e Veriut"}, groups: []group{grpMacedonian, grpAlbanian}, weights: []float64{0.7, 0.3},
		places: []place{{[]string{"Skopje", "Скопје", "Shkup", "Skoplje"}, "1000"}, {[]string{"Bitola", "Битола", "Manastir"}, "7000"},
			{[]string{"Tetovo", "Тетово", "Tetovë"}, "1200"}, {[]string{"Kumanovo", "Куманово", "Kumanovë"}, "1300"}, {[]string{"Ohrid", "Охрид", "Ohër"}, "6000"},
			{[]string{"Gostivar", "Гостивар", "Gostivari"}, "1230"}, {[]string{"Štip", "Stip", "Штип"}, "2000"}, {[]string{"Struga", "Струга", "Strugë"}, "6330"},
			{[]string{"Prilep", "Прилеп"}, "7500"}},
		streets: []string{"Partizanska", "Ilindenska", "Makedonija", "Goce Delčev", "Kiril i Metodij", "Jane Sandanski", "Dame Gruev", "Bulevar Partizanski Odredi", "Orce Nikolov", "Vasil Glavinov"},
		idKind:  "jmbg", region: [2]int{41, 49}, mobile: []string{"070", "071", "072", "075", "076", "077", "078"}},
	{code: "AL", names: []string{"Shqipëri", "Albania", "Shqiperia", "Albanija"}, groups: []group{grpAlbanian}, weights: []float64{1},
		places: []place{{[]string{"Tiranë", "Tirana", "Tirane", "Тирана"}, "1001"}, {[]string{"Durrës", "Durres", "Drač"}, "2001"},
			{[]string{"Shkodër", "Shkodra", "Skadar", "Shkoder"}, "4001"}, {[]string{"Vlorë", "Vlora", "Valona"}, "9401"}, {[]string{"Elbasan", "Elbasani"}, "3001"},
			{[]string{"Korçë", "Korca", "Korça"}, "7001"}, {[]string{"Fier", "Fieri"}, "9301"}, {[]string{"Berat", "Berati"}, "5001"}, {[]string{"Kukës", "Kukes"}, "8501"}},
		streets: []string{"Rruga Nënë Tereza", "Rruga Skënderbeu", "Bulevardi Dëshmorët e Kombit", "Rruga e Durrësit", "Rruga Ismail Qemali", "Rruga Gjergj Fishta", "Rruga Myslym Shyri", "Rruga e Kavajës", "Rruga Sami Frashëri", "Rruga Pjetër Bogdani"},
		idKind:  "al", mobile: []string{"067", "068", "069"}},
	{code: "XK", names: []string{"Kosova", "Kosovo", "Косово", "Republika e Kosovës"}, groups: []group{grpAlbanian, grpSerb, grpBosniak}, weights: []float64{0.9, 0.07, 0.03},
		places: []place{{[]string{"Prishtinë", "Priština", "Pristina", "Приштина", "Prishtina"}, "10000"}, {[]string{"Prizren", "Призрен", "Prizreni"}, "20000"},
			{[]string{"Pejë", "Peć", "Peja", "Пећ"}, "30000"}, {[]string{"Gjakovë", "Đakovica", "Gjakova", "Ђаковица"}, "50000"},
			{[]string{"Mitrovicë", "Mitrovica", "Митровица"}, "40000"}, {[]string{"Ferizaj", "Uroševac", "Урошевац"}, "70000"},
			{[]string{"Gjilan", "Gnjilane", "Гњилане", "Gjilani"}, "60000"}, {[]string{"Vushtrri", "Vučitrn", "Вучитрн"}, "42000"}, {[]string{"Podujevë", "Podujevo", "Подујево"}, "11000"}},
		streets: []string{"Rruga Nënë Tereza", "Bulevardi Bill Klinton", "Rruga Adem Jashari", "Rruga Luan Haradinaj", "Rruga Fehmi Agani", "Rruga Agim Ramadani", "Rruga UÇK", "Rruga Garibaldi", "Rruga Ali Kelmendi", "Rruga Rexhep Luci"},
		idKind:  "xk", mobile: []string{"044", "045", "049", "043"}},
}
