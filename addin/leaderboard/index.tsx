import { mount } from "../shared/mount";
import { Leaderboard } from "./Leaderboard";

void mount(Leaderboard);
