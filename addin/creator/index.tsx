import { mount } from "../shared/mount";
import { Creator } from "./Creator";

void mount(Creator);
